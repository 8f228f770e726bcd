# The lessons' tests: each examples/NN_name[.variant].expect runs the lesson
# NN_name through check_lesson.sh (see there for the file's format), as the
# CTest test lesson_NN_name[.variant], labelled "lesson".
if(TL_BUILD_EXAMPLES AND EXISTS ${PROJECT_SOURCE_DIR}/examples/CMakeLists.txt)
  file(GLOB TL_LESSON_EXPECTS CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/examples/[0-9][0-9]_*.expect)
  foreach(expect ${TL_LESSON_EXPECTS})
    get_filename_component(lesson ${expect} NAME_WE)
    get_filename_component(file ${expect} NAME)
    string(REGEX REPLACE "\\.expect$" "" case ${file})
    if(NOT TARGET ${lesson})
      message(FATAL_ERROR "${expect}: there is no lesson examples/${lesson}.c")
    endif()
    add_test(NAME lesson_${case}
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_lesson.sh
              $<TARGET_FILE:${lesson}> ${expect})
    set_tests_properties(lesson_${case} PROPERTIES TIMEOUT 60 LABELS lesson
      ENVIRONMENT "${TL_TEST_ENV}")
    set(TL_LESSON_TESTED_${lesson} ON)
  endforeach()

  # A lesson whose output nobody checks is a lesson that may lie.
  file(GLOB TL_LESSON_SOURCES CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/examples/[0-9][0-9]_*.c)
  foreach(src ${TL_LESSON_SOURCES})
    get_filename_component(lesson ${src} NAME_WE)
    if(NOT TL_LESSON_TESTED_${lesson})
      message(FATAL_ERROR "${src} has no examples/${lesson}.expect: every "
                          "lesson's output is checked by a test")
    endif()
  endforeach()
endif()
