# Cortex-M55: the flags of mobilec's cortex-m55 target (QEMU board mps3-an547).
#   cmake -S examples/firmware -B build -DCMAKE_TOOLCHAIN_FILE=$PWD/examples/firmware/toolchains/cortex-m55.cmake ...
set(CMAKE_SYSTEM_PROCESSOR cortex-m55)
set(MOBILEC_CPU_FLAGS "-mcpu=cortex-m55 -mthumb -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
