# Change-event JSON reader (sluice apply's input) and PostgreSQL text -> typed values
# (included by CMakeLists.txt after pkg_check_modules(JANSSON ...)).
#
# The reader is a hand-written parser (it must keep number literals as text);
# jansson serves the tests and the fuzzer as an independent JSON oracle and is
# linked here so users of sl_change_io may rely on it.
add_library(sl_change_io STATIC src/change/json_read.c src/change/convert.c)
target_link_libraries(sl_change_io PUBLIC sl_change PkgConfig::JANSSON m)

foreach(t change_json_read convert)
  add_executable(test_${t} tests/unit/test_${t}.c tests/unit/unit.c)
  target_include_directories(test_${t} PRIVATE tests/unit)
  target_link_libraries(test_${t} PRIVATE sl_change_io)
  add_test(NAME ${t} COMMAND test_${t})
endforeach()

# "type<TAB>text" lines in, conversions out: tests/integration/test_convert.py
# checks them against PostgreSQL; `convert_tool bench` measures the reader and
# the conversions.
add_executable(convert_tool tests/unit/convert_tool.c)
target_link_libraries(convert_tool PRIVATE sl_change_io)

add_executable(replay_change_json fuzz/fuzz_change_json.c fuzz/replay_main.c)
target_link_libraries(replay_change_json PRIVATE sl_change_io)
add_test(NAME corpus_change_json
  COMMAND replay_change_json ${CMAKE_SOURCE_DIR}/fuzz/corpus/change_json)
if(SLUICE_FUZZ)
  add_executable(fuzz_change_json fuzz/fuzz_change_json.c)
  target_link_options(fuzz_change_json PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_change_json PRIVATE sl_change_io)
endif()
