#define _GNU_SOURCE
#include "CArtifactStorageFileSystem.h"

#include <errno.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/syscall.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct artifactstore_open_how {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};

int artifactstore_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct artifactstore_open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int artifactstore_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
#ifdef SYS_renameat2
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
#else
    errno = ENOSYS;
    return -1;
#endif
}

#else

int artifactstore_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    (void)dirfd; (void)path; (void)flags; (void)mode; (void)resolve;
    errno = ENOSYS;
    return -1;
}

int artifactstore_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
    (void)olddirfd; (void)oldpath; (void)newdirfd; (void)newpath; (void)flags;
    errno = ENOSYS;
    return -1;
}

#endif
