# The installed library works from another project: cmake --install, then
# find_package(threadlab) and pkg-config threadlab, shared and static (see
# tests/install/). The shared library exports only the public API.
# Sanitized builds are not meant for installing, and their instrumentation
# adds symbols of its own to the shared library.
if(TL_SANITIZE STREQUAL "")
  add_test(NAME install_consumer
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/run.sh ${CMAKE_BINARY_DIR} ${CMAKE_C_COMPILER})
  set_tests_properties(install_consumer PROPERTIES TIMEOUT 300 LABELS "install")
  add_test(NAME shared_exports
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/exports.sh
            $<TARGET_FILE:threadlab_shared> ${PROJECT_SOURCE_DIR}/lib/include/threadlab)
  set_tests_properties(shared_exports PROPERTIES TIMEOUT 60 LABELS "install")
endif()
