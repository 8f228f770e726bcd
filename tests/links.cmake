# docs_links: every relative link in the project's Markdown (the lessons'
# chart links into results/, README, benches/README.md...) names a file that
# is in the tree (tests/check_links.py).
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND)
  add_test(NAME docs_links
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_links.py ${PROJECT_SOURCE_DIR})
  set_tests_properties(docs_links PROPERTIES TIMEOUT 60 LABELS "unit")
endif()
