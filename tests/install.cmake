# The installed library works from another project: cmake --install, then
# find_package(threadlab) and pkg-config threadlab (see tests/install/).
# Sanitized builds are not meant for installing.
if(TL_SANITIZE STREQUAL "")
  add_test(NAME install_consumer
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/run.sh ${CMAKE_BINARY_DIR} ${CMAKE_C_COMPILER})
  set_tests_properties(install_consumer PROPERTIES TIMEOUT 300 LABELS "install")
endif()
