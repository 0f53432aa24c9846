# cmake -DMODE=package|subdirectory -DSOURCE=<gendiv src> -DBUILD=<gendiv build> -DWORK=<dir>
#       -P run.cmake
# Installs gendiv from BUILD into WORK/prefix (package mode), then configures, builds and runs
# the consumer in tests/consumer against it. Fails on the first step that fails.
function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
  endif()
  message(STATUS "${out}")
endfunction()

file(REMOVE_RECURSE ${WORK})
if(MODE STREQUAL "package")
  step(${CMAKE_COMMAND} --install ${BUILD} --prefix ${WORK}/prefix)
  step(${CMAKE_COMMAND} -S ${SOURCE}/tests/consumer -B ${WORK}/build -DGENDIV_CONSUME=package
       -DCMAKE_PREFIX_PATH=${WORK}/prefix -DCMAKE_BUILD_TYPE=Release)
else()
  step(${CMAKE_COMMAND} -S ${SOURCE}/tests/consumer -B ${WORK}/build -DGENDIV_CONSUME=subdirectory
       -DGENDIV_SOURCE_DIR=${SOURCE} -DCMAKE_BUILD_TYPE=Release)
endif()
step(${CMAKE_COMMAND} --build ${WORK}/build)
step(${WORK}/build/consumer)
