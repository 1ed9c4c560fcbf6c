/*
 * initial-flood: a flood of QUIC first flights from spoofed loopback sources, for the appliance's flood tests.
 *
 * Sends COUNT datagrams of 1200 octets to DESTINATION:PORT at RATE per second, each from its own source address
 * and port in 127.1.0.0/16 and up (never 127.0.0.1), through a raw IPv4 socket (IP_HDRINCL; needs CAP_NET_RAW).
 * Each datagram is a QUIC long header of type Initial with the reserved version 0x5a6a7a8a (RFC 9000 §15), random
 * 8-octet connection IDs and zero padding: a QUIC server answers it with Version Negotiation, so every flooded
 * first flight looks answered. The UDP checksum is 0 (none, allowed over IPv4); the kernel fills in the IP header's
 * checksum and length.
 *
 * Usage: initial-flood DESTINATION PORT COUNT RATE
 * Prints: sent=<count> seconds=<elapsed> rate=<datagrams per second>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD 1200
#define BATCH 32

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static uint64_t state = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s DESTINATION PORT COUNT RATE\n", argv[0]);
        return 2;
    }
    struct in_addr destination;
    if (inet_pton(AF_INET, argv[1], &destination) != 1) {
        fprintf(stderr, "initial-flood: not an IPv4 address: %s\n", argv[1]);
        return 2;
    }
    int port = atoi(argv[2]);
    long count = atol(argv[3]);
    long rate = atol(argv[4]);
    if (port <= 0 || port > 65535 || count <= 0 || rate <= 0) {
        fprintf(stderr, "initial-flood: PORT 1..65535, COUNT and RATE > 0\n");
        return 2;
    }
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0) {
        fprintf(stderr, "initial-flood: raw socket: %s (needs CAP_NET_RAW)\n", strerror(errno));
        return 3;
    }
    int one = 1;
    if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) < 0) {
        fprintf(stderr, "initial-flood: IP_HDRINCL: %s\n", strerror(errno));
        return 3;
    }
    int buffer = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);

    unsigned char packet[sizeof(struct iphdr) + sizeof(struct udphdr) + PAYLOAD];
    memset(packet, 0, sizeof packet);
    struct iphdr *ip = (struct iphdr *) packet;
    struct udphdr *udp = (struct udphdr *) (packet + sizeof(struct iphdr));
    unsigned char *quic = packet + sizeof(struct iphdr) + sizeof(struct udphdr);
    ip->version = 4;
    ip->ihl = 5;
    ip->ttl = 64;
    ip->protocol = IPPROTO_UDP;
    ip->daddr = destination.s_addr;
    udp->dest = htons((uint16_t) port);
    udp->len = htons(sizeof(struct udphdr) + PAYLOAD);
    udp->check = 0;
    quic[0] = 0xc0;                       /* long header, fixed bit, type Initial */
    quic[1] = 0x5a; quic[2] = 0x6a; quic[3] = 0x7a; quic[4] = 0x8a; /* reserved version */
    quic[5] = 8;                          /* DCID length, DCID at 6 */
    quic[14] = 8;                         /* SCID length, SCID at 15 */

    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_addr = destination;

    double start = now_seconds();
    long sent = 0;
    while (sent < count) {
        /* Pace: never ahead of sent / rate seconds since the start; sleep rather than spin, to leave the CPU to
         * the appliance under test. */
        double ahead = start + (double) sent / (double) rate - now_seconds();
        if (ahead > 0) {
            struct timespec pause = {(time_t) ahead, (long) ((ahead - (double) (time_t) ahead) * 1e9)};
            nanosleep(&pause, NULL);
        }
        for (int i = 0; i < BATCH && sent < count; i++, sent++) {
            uint32_t source = 0x7f010000u + (uint32_t) sent; /* 127.1.0.0 and up */
            ip->saddr = htonl(source);
            ip->id = 0;
            udp->source = htons((uint16_t) (10000 + sent % 50000));
            uint64_t dcid = next_random();
            uint64_t scid = next_random();
            memcpy(quic + 6, &dcid, 8);
            memcpy(quic + 15, &scid, 8);
            if (sendto(fd, packet, sizeof packet, 0, (struct sockaddr *) &to, sizeof to) < 0) {
                if (errno == ENOBUFS || errno == EAGAIN) {
                    sent--; /* the socket buffer is full: send this one again */
                    i--;
                    continue;
                }
                fprintf(stderr, "initial-flood: sendto: %s\n", strerror(errno));
                return 4;
            }
        }
    }
    double seconds = now_seconds() - start;
    printf("sent=%ld seconds=%.3f rate=%.0f\n", sent, seconds, (double) sent / seconds);
    close(fd);
    return 0;
}
