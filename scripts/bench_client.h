// What scripts/bench_head_client.c and scripts/bench_upload_client.c share: one thread drives C
// keep-alive connections with epoll, one request in flight on each. Each client sets
// `client_name` (for its messages) before calling anything here.
#ifndef BENCH_CLIENT_H
#define BENCH_CLIENT_H
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *client_name = "bench client";

// Ends the run with `what` and the system's reason.
static void fail(const char *what) {
    fprintf(stderr, "%s: %s: %s\n", client_name, what, strerror(errno));
    exit(1);
}

// Ends the run with `message`.
static void refuse(const char *message) {
    fprintf(stderr, "%s: %s\n", client_name, message);
    exit(1);
}

static void send_all(int fd, const char *bytes, size_t left) {
    while (left > 0) {
        ssize_t sent = send(fd, bytes, left, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            fail("send");
        }
        bytes += sent;
        left -= (size_t)sent;
    }
}

static struct addrinfo *resolve(const char *host, const char *port) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *address;
    if (getaddrinfo(host, port, &hints, &address) != 0) {
        fprintf(stderr, "%s: cannot resolve %s\n", client_name, host);
        exit(1);
    }
    return address;
}

// A new keep-alive connection to `address` without Nagle's delay, registered with `poll` for
// reading with `data` as its event's pointer. Returns its descriptor.
static int open_connection(struct addrinfo *address, int poll, void *data) {
    int fd = socket(address->ai_family, address->ai_socktype, address->ai_protocol);
    if (fd < 0) fail("socket");
    if (connect(fd, address->ai_addr, address->ai_addrlen) != 0) fail("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = data};
    if (epoll_ctl(poll, EPOLL_CTL_ADD, fd, &event) != 0) fail("epoll_ctl");
    return fd;
}

// Waits for connections with something to read: their count (at least one); a run with no
// answer for 30 s fails.
static int wait_ready(int poll, struct epoll_event *events, int capacity) {
    while (1) {
        int ready = epoll_wait(poll, events, capacity, 30000);
        if (ready < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait");
        }
        if (ready == 0) refuse("no answer for 30 s");
        return ready;
    }
}

// Reads what `fd` has into `into` (at most `room` bytes): the count, or 0 when there was nothing
// after all (EINTR, EAGAIN). A closed connection fails the run.
static size_t receive(int fd, char *into, size_t room) {
    ssize_t got = recv(fd, into, room, 0);
    if (got < 0) {
        if (errno == EINTR || errno == EAGAIN) return 0;
        fail("recv");
    }
    if (got == 0) refuse("a server closed a keep-alive connection");
    return (size_t)got;
}

static double seconds_since(const struct timespec *start) {
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    return (double)(end.tv_sec - start->tv_sec) + (double)(end.tv_nsec - start->tv_nsec) / 1e9;
}

#endif
