# io.cmake: the IO benches' shared code (benches/io/) and their optional
# dependency, libuv (Debian's libuv1-dev; scripts/deps.sh installs it where
# it can). Included by benches/CMakeLists.txt after the benches are defined.
#
# libuv is looked up with pkg-config; found (and TL_WITH_LIBUV on), the
# io_concurrency and million benches get TL_HAVE_LIBUV and their libuv
# series; missing, one line says so and those series are left out. Under
# ThreadSanitizer it is left out too: libuv is not instrumented, so its
# cross-thread wake-up (uv_async_send) would look like a race.
option(TL_WITH_LIBUV "Compare against libuv in the IO benches, when found" ON)

add_library(tl_io STATIC
  ${CMAKE_CURRENT_LIST_DIR}/io/capped.c
  ${CMAKE_CURRENT_LIST_DIR}/io/servers.c
  ${CMAKE_CURRENT_LIST_DIR}/io/server_uv.c
  ${CMAKE_CURRENT_LIST_DIR}/io/million_waits.c)
target_include_directories(tl_io PUBLIC ${CMAKE_CURRENT_LIST_DIR}/io)
target_link_libraries(tl_io PUBLIC tl_harness threadlab)

# Cached (internal) so that tests/io.cmake knows which series to expect.
set(TL_HAVE_LIBUV OFF CACHE INTERNAL "libuv is in the IO benches")
if(NOT TL_WITH_LIBUV)
  message(STATUS "libuv: off (TL_WITH_LIBUV=OFF): the IO benches leave its series out")
elseif(TL_SANITIZE STREQUAL "thread")
  message(STATUS "libuv: left out under ThreadSanitizer (not instrumented)")
else()
  pkg_check_modules(LIBUV IMPORTED_TARGET libuv)
  if(LIBUV_FOUND)
    set(TL_HAVE_LIBUV ON CACHE INTERNAL "libuv is in the IO benches")
    target_link_libraries(tl_io PRIVATE PkgConfig::LIBUV)
    target_compile_definitions(tl_io PRIVATE TL_HAVE_LIBUV=1)
  else()
    message(STATUS "libuv not found (libuv1-dev): the IO benches leave its series out")
  endif()
endif()

foreach(_io_bench io_concurrency million stack_size) # stack_size: the capped child, the limits
  if(TARGET ${_io_bench})
    target_link_libraries(${_io_bench} PRIVATE tl_io)
  endif()
endforeach()
