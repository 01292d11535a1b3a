/* tests/fuzz/stb_impl.c — stb_image and stb_image_write compiled from Debian's headers, for the
 * fuzz build only: there they get libFuzzer's coverage and the sanitizers (libstb.so has
 * neither), so the image targets explore and check stb's decoders too. Same version (2.27) and
 * settings as libstb, whose implementation the other builds link. Not our code: no warnings. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image.h>
#include <stb_image_write.h>
