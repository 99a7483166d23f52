#define _GNU_SOURCE
#include "CArtifactStorageFileSystem.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif

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

int artifactstore_start_writeback(int fd, int64_t offset, int64_t count) {
    return sync_file_range(fd, (off_t)offset, (off_t)count, SYNC_FILE_RANGE_WRITE);
}

int artifactstore_syncfs(int fd) {
    return syncfs(fd);
}

int64_t artifactstore_file_system_type(int fd) {
    struct statfs info;
    if (fstatfs(fd, &info) != 0) return -1;
    return (int64_t)(uint64_t)(unsigned int)info.f_type;
}

ssize_t artifactstore_pread_cached(int fd, void *buffer, size_t count, int64_t offset) {
#if defined(RWF_NOWAIT)
    struct iovec vector = { .iov_base = buffer, .iov_len = count };
    return preadv2(fd, &vector, 1, (off_t)offset, RWF_NOWAIT);
#else
    (void)fd; (void)buffer; (void)count; (void)offset;
    errno = EOPNOTSUPP;
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

ssize_t artifactstore_pread_cached(int fd, void *buffer, size_t count, int64_t offset) {
    (void)fd; (void)buffer; (void)count; (void)offset;
    errno = EOPNOTSUPP;
    return -1;
}

int artifactstore_start_writeback(int fd, int64_t offset, int64_t count) {
    (void)fd; (void)offset; (void)count;
    return 0;
}

int artifactstore_syncfs(int fd) {
    (void)fd;
    errno = ENOSYS;
    return -1;
}

int64_t artifactstore_file_system_type(int fd) {
    (void)fd;
    errno = ENOSYS;
    return -1;
}

#endif
