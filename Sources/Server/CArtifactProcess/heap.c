#include "CArtifactProcess.h"

// Any C library header defines __GLIBC__ on glibc (through <features.h>).
#include <stdlib.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>

int artifactstore_heap_usage(size_t *in_use, size_t *held_free) {
    struct mallinfo2 info = mallinfo2();
    *in_use = info.uordblks + info.hblkhd;
    *held_free = info.fordblks;
    return 1;
}
#else
int artifactstore_heap_usage(size_t *in_use, size_t *held_free) {
    (void)in_use;
    (void)held_free;
    return 0;
}
#endif
