#ifndef C_ARTIFACT_STORAGE_FILE_SYSTEM_H
#define C_ARTIFACT_STORAGE_FILE_SYSTEM_H

#include <stdint.h>
#include <sys/types.h>

/// resolve flags of openat2(2), defined here so older headers do not matter.
#define ARTIFACTSTORE_RESOLVE_NO_XDEV 0x01
#define ARTIFACTSTORE_RESOLVE_NO_MAGICLINKS 0x02
#define ARTIFACTSTORE_RESOLVE_NO_SYMLINKS 0x04
#define ARTIFACTSTORE_RESOLVE_BENEATH 0x08
#define ARTIFACTSTORE_RESOLVE_IN_ROOT 0x10
/// Fail with EAGAIN instead of reading a directory from the device (Linux 5.12).
#define ARTIFACTSTORE_RESOLVE_CACHED 0x20

/// O_PATH (Linux): a descriptor that only names a location. Not exported by Glibc without _GNU_SOURCE.
#define ARTIFACTSTORE_O_PATH 0x200000

/// renameat2(2) flag: fail with EEXIST instead of replacing the target.
#define ARTIFACTSTORE_RENAME_NOREPLACE 0x01

/// openat2(2) through syscall(2). Returns the new descriptor, or -1 with errno set
/// (ENOSYS where the kernel lacks openat2).
int artifactstore_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);

/// renameat2(2) through syscall(2). Returns 0, or -1 with errno set.
int artifactstore_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

/// preadv2(2) with RWF_NOWAIT: reads only what is already in the page cache, without blocking on
/// the device. Returns the bytes read (possibly fewer than asked), or -1 with errno EAGAIN when
/// nothing is cached, or EOPNOTSUPP where the kernel or file system cannot say.
ssize_t artifactstore_pread_cached(int fd, void *buffer, size_t count, int64_t offset);

/// sync_file_range(2) with SYNC_FILE_RANGE_WRITE: starts writing the dirty pages of a range to
/// the device without waiting, so a later fsync(2) has less left to wait for. Not a durability
/// guarantee by itself. Returns 0, or -1 with errno set.
int artifactstore_start_writeback(int fd, int64_t offset, int64_t count);

/// syncfs(2): writes back everything dirty on the file system holding fd and flushes its
/// device. Returns 0, or -1 with errno set (ENOSYS where there is no syncfs).
int artifactstore_syncfs(int fd);

/// The f_type of fstatfs(2) on fd (any descriptor, O_PATH included), or -1 with errno set.
int64_t artifactstore_file_system_type(int fd);

#endif
