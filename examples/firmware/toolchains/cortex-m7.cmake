# Cortex-M7: the flags of mobilec's cortex-m7 target (QEMU board mps2-an500).
#   cmake -S examples/firmware -B build -DCMAKE_TOOLCHAIN_FILE=$PWD/examples/firmware/toolchains/cortex-m7.cmake ...
set(CMAKE_SYSTEM_PROCESSOR cortex-m7)
set(MOBILEC_CPU_FLAGS "-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
