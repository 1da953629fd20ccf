# Cortex-M33: the flags of mobilec's cortex-m33 target (QEMU board mps2-an505).
#   cmake -S examples/firmware -B build -DCMAKE_TOOLCHAIN_FILE=$PWD/examples/firmware/toolchains/cortex-m33.cmake ...
set(CMAKE_SYSTEM_PROCESSOR cortex-m33)
set(MOBILEC_CPU_FLAGS "-mcpu=cortex-m33 -mthumb -mfloat-abi=hard -mfpu=fpv5-sp-d16")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
