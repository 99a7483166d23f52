// HEAD load for scripts/bench-http.sh: N HEAD requests over C keep-alive connections, one request
// in flight per connection (no pipelining), from one thread with epoll; prints requests per second.
//
//   bench_head_client HOST PORT TOKEN|- N C PATH     PATH @FILE: the paths in FILE (one a line) in
//                                                    rotation, each connection from its own offset;
//                                                    a TOKEN with a space is a whole Authorization
//                                                    value ("Basic …"), else a bearer token
//
// Why it exists: wrk and ab wait for a body after a HEAD answer that carries Content-Length, so
// they cannot measure HEAD, and the Python client (bench_http_client.py head) spends about half
// a core of the two this machine has, which a fast server then lacks. This does the same work
// (same requests, same rotation, a response ends at its blank line, anything but 200 fails the
// run) for a few percent of a core. Both peers are measured with it in the same run.
#include "bench_client.h"

struct connection {
    int fd;
    size_t position;        // index of the path it asked for last
    char pending[8192];     // the unfinished response head
    size_t length;
};

static char **requests;
static size_t *request_lengths;
static size_t request_count;

static void send_request(struct connection *c) {
    send_all(c->fd, requests[c->position], request_lengths[c->position]);
}

int main(int argc, char **argv) {
    client_name = "bench_head_client";
    if (argc != 7) {
        fprintf(stderr, "usage: bench_head_client HOST PORT TOKEN|- N C PATH|@FILE\n");
        return 2;
    }
    const char *host = argv[1], *port = argv[2], *token = argv[3], *path_spec = argv[6];
    long total = atol(argv[4]), concurrency = atol(argv[5]);
    if (total <= 0 || concurrency <= 0) { fprintf(stderr, "bench_head_client: N and C must be positive\n"); return 2; }

    // The paths, then one request per path.
    char **paths = NULL;
    size_t path_count = 0, capacity = 0;
    if (path_spec[0] == '@') {
        FILE *listing = fopen(path_spec + 1, "r");
        if (!listing) fail(path_spec + 1);
        char line[4096];
        while (fgets(line, sizeof line, listing)) {
            size_t n = strcspn(line, "\r\n");
            if (n == 0) continue;
            line[n] = 0;
            if (path_count == capacity) {
                capacity = capacity ? capacity * 2 : 1024;
                paths = realloc(paths, capacity * sizeof *paths);
            }
            paths[path_count++] = strdup(line);
        }
        fclose(listing);
    } else {
        paths = malloc(sizeof *paths);
        paths[path_count++] = strdup(path_spec);
    }
    if (path_count == 0) { fprintf(stderr, "bench_head_client: no paths\n"); return 2; }
    request_count = path_count;
    requests = malloc(request_count * sizeof *requests);
    request_lengths = malloc(request_count * sizeof *request_lengths);
    for (size_t i = 0; i < request_count; i++) {
        char *request = NULL;
        int n = strcmp(token, "-") == 0
            ? asprintf(&request, "HEAD %s HTTP/1.1\r\nHost: %s:%s\r\n\r\n", paths[i], host, port)
            : strchr(token, ' ') != NULL
            ? asprintf(&request, "HEAD %s HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: %s\r\n\r\n", paths[i], host, port, token)
            : asprintf(&request, "HEAD %s HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: Bearer %s\r\n\r\n", paths[i], host, port, token);
        if (n < 0) fail("asprintf");
        requests[i] = request;
        request_lengths[i] = (size_t)n;
    }

    struct addrinfo *address = resolve(host, port);

    long connections = concurrency < total ? concurrency : total;
    struct connection *all = calloc((size_t)connections, sizeof *all);
    int poll = epoll_create1(0);
    if (poll < 0) fail("epoll_create1");
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long sent = 0, done = 0;
    for (long i = 0; i < connections; i++) {
        struct connection *c = &all[i];
        c->fd = open_connection(address, poll, c);
        c->position = (size_t)i * request_count / (size_t)connections;
        send_request(c);
        sent++;
    }

    struct epoll_event events[256];
    while (done < total) {
        int ready = wait_ready(poll, events, 256);
        for (int e = 0; e < ready; e++) {
            struct connection *c = events[e].data.ptr;
            size_t got = receive(c->fd, c->pending + c->length, sizeof c->pending - c->length);
            if (got == 0) continue;
            c->length += got;
            char *head_end;
            while ((head_end = memmem(c->pending, c->length, "\r\n\r\n", 4)) != NULL) {
                if (c->length < 12 || memcmp(c->pending, "HTTP/1.1 200", 12) != 0) {
                    fprintf(stderr, "bench_head_client: a request failed: %.12s\n", c->pending);
                    return 1;
                }
                size_t used = (size_t)(head_end + 4 - c->pending);
                memmove(c->pending, c->pending + used, c->length - used);
                c->length -= used;
                done++;
                if (sent < total) {
                    c->position = (c->position + 1) % request_count;
                    send_request(c);
                    sent++;
                }
            }
            if (c->length == sizeof c->pending) { fprintf(stderr, "bench_head_client: a response head over 8 KiB\n"); return 1; }
        }
    }
    double elapsed = seconds_since(&start);
    printf("%.0f\n", (double)total / elapsed);
    return 0;
}
