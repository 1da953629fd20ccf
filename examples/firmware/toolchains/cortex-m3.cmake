# Cortex-M3: the flags of mobilec's cortex-m3 target (QEMU board mps2-an385).
#   cmake -S examples/firmware -B build -DCMAKE_TOOLCHAIN_FILE=$PWD/examples/firmware/toolchains/cortex-m3.cmake ...
set(CMAKE_SYSTEM_PROCESSOR cortex-m3)
set(MOBILEC_CPU_FLAGS "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
