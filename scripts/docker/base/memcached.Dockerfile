# A memcached image from the same Debian bookworm base, for the container test (MEMCACHED_IMAGE in
# docker-compose.yml). Debian's package runs as its `memcache` user, like the official image; netcat is
# there for the compose file's health check, which speaks the text protocol through `nc`.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends memcached netcat-openbsd \
 && rm -rf /var/lib/apt/lists/*
USER memcache
EXPOSE 11211
CMD ["memcached"]
