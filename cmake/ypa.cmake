# Helpers that keep every target built the same way.

# Warnings for our own code only (dependencies come from system headers).
function(ypa_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wconversion -Wno-sign-conversion>)
  if(YPA_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
  endif()
endfunction()

# ypa_add_library(name SOURCES ... DEPS ...): one library per src/ folder, named ypa_<name>.
# Includes are rooted at src/, so code writes #include "core/errors.hpp".
function(ypa_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(ypa_${name} STATIC ${ARG_SOURCES})
  target_include_directories(ypa_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(ypa_${name} PUBLIC ${ARG_DEPS})
  ypa_set_warnings(ypa_${name})
endfunction()

# ypa_add_test(name SOURCES ... DEPS ... [LABELS ...]): one GoogleTest executable, registered with CTest.
# LABELS: unit (no servers, the default), integration (needs `ypa stack`), oracle, contract, gpu.
function(ypa_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} ypa_test_support GTest::gtest GTest::gmock GTest::gtest_main)
  ypa_set_warnings(${name})
  # One CTest entry per executable keeps ctest's start-up cost low; gtest prints each case.
  add_test(NAME ${name} COMMAND ${name} --gtest_color=no)
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
endfunction()
