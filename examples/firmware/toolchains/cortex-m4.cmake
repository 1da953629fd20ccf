# Cortex-M4: the flags of mobilec's cortex-m4 target (QEMU board mps2-an386).
#   cmake -S examples/firmware -B build -DCMAKE_TOOLCHAIN_FILE=$PWD/examples/firmware/toolchains/cortex-m4.cmake ...
set(CMAKE_SYSTEM_PROCESSOR cortex-m4)
set(MOBILEC_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
