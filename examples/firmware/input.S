/*
 * The raw input tensor compiled into flash (CMake -DMOBILEC_INPUT=<file>):
 * CMakeLists.txt copies the file to mobilec_input.bin in the build directory
 * and passes that directory to the assembler (-Wa,-I). main.c checks its size.
 */
    .section .rodata.mobilec_input, "a"
    .balign 16
    .global mobilec_input_start
    .global mobilec_input_end
mobilec_input_start:
    .incbin "mobilec_input.bin"
mobilec_input_end:
