# Tests of the charts, the report, the comparison and the bench pipeline
# (scripts/): shell scripts under tests/plots/ driving them on the fixture
# results in tests/fixtures/results/ (made-up data in the benches' CSV
# schemas, not measurements). They compile nothing, so they run the same
# under every sanitizer build; without gnuplot or python3 they skip (77).
foreach(_tl_plots_test render report pipeline replace verdicts)
  add_test(NAME plots_${_tl_plots_test}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/plots/${_tl_plots_test}.sh
            ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/plots_${_tl_plots_test}
            ${CMAKE_BINARY_DIR})
  set_tests_properties(plots_${_tl_plots_test} PROPERTIES
    TIMEOUT 400 SKIP_RETURN_CODE 77 LABELS "plots" ENVIRONMENT "${TL_TEST_ENV}")
endforeach()
# Malformed results folders (96 cases: broken or mistyped meta.json, bad
# CSVs, answers that are not UTF-8 text, outputs that cannot be written),
# each given to plot.py, report.py, compare.sh and results_index.py: each
# must refuse it with one line naming the file and exit 2 (1 for an output),
# never a traceback, never a chart or report from refused data. It compiles
# nothing and runs for a minute or more: only in the builds without a
# sanitizer, where it means the same.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(TL_SANITIZE STREQUAL "" AND Python3_Interpreter_FOUND)
  add_test(NAME plots_bad_input
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_scripts_bad_input.py
            ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/plots_bad_input)
  set_tests_properties(plots_bad_input PROPERTIES
    TIMEOUT 900 PROCESSORS 2 SKIP_RETURN_CODE 77 LABELS "plots"
    ENVIRONMENT "${TL_TEST_ENV};TL_BUILD=${CMAKE_BINARY_DIR}")
endif()
