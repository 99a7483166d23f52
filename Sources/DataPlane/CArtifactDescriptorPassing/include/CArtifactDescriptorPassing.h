#ifndef C_ARTIFACT_DESCRIPTOR_PASSING_H
#define C_ARTIFACT_DESCRIPTOR_PASSING_H

#include <stddef.h>
#include <sys/types.h>

/// Sends `length` bytes and, when `fd` >= 0, the descriptor `fd` as SCM_RIGHTS ancillary data in
/// one sendmsg(2) on the Unix socket `socket`. Returns the bytes sent, or -1 with errno set.
ssize_t artifactstore_send_fd(int socket, int fd, const void *bytes, size_t length);

/// Receives up to `length` bytes with one recvmsg(2) (MSG_CMSG_CLOEXEC), and the first descriptor
/// of an SCM_RIGHTS message in `*fd` (-1 when none came). Any further descriptors are closed, and
/// a truncated control message (MSG_CTRUNC) closes what came and fails with EMSGSIZE. Returns the
/// bytes received (0 at end of stream), or -1 with errno set.
ssize_t artifactstore_receive_fd(int socket, void *buffer, size_t length, int *fd);

#endif
