# Shared by the CMake consumer projects in tests/consumers/ (driven by tests/consumers/run.sh).
# consumer_add_program(): the test program, linked to tfckpt::tfckpt only. No C++ standard is
# set here: the interface target must carry cxx_std_20 itself.
# consumer_check_lean(DIR): consuming tfckpt from source DIR defined no target besides the
# library and looked up none of the test/tool dependencies (a consumer needs only Boost).
set(CONSUMER_SOURCE "${CMAKE_CURRENT_LIST_DIR}/src/consumer.cpp")

function(consumer_add_program)
  add_executable(consumer "${CONSUMER_SOURCE}")
  target_link_libraries(consumer PRIVATE tfckpt::tfckpt)
  target_compile_options(consumer PRIVATE -Wall -Wextra -Wpedantic -Werror)
endfunction()

function(consumer_check_lean tfckpt_dir)
  get_property(_targets DIRECTORY "${tfckpt_dir}" PROPERTY BUILDSYSTEM_TARGETS)
  if(NOT _targets STREQUAL "tfckpt")
    message(FATAL_ERROR "consuming tfckpt defined targets '${_targets}'; expected only 'tfckpt' "
                        "(tests, tools and examples must be off when tfckpt is not top-level)")
  endif()
  foreach(_var nlohmann_json_DIR doctest_DIR DOCTEST_INCLUDE_DIR SNAPPY SNAPPY_INCLUDE_DIR benchmark_DIR)
    if(DEFINED CACHE{${_var}})
      message(FATAL_ERROR "consuming tfckpt looked up a test/tool dependency (${_var} is cached)")
    endif()
  endforeach()
  message(STATUS "consumer: tfckpt defines only the library target and needs no test/tool dependency")
endfunction()
