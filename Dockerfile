# Multi-stage build on Debian 12: the build stage has the toolchain and -dev
# packages; the runtime stage has only the shared libraries rebound links.
FROM debian:12 AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
      libsimdjson-dev libpqxx-dev libssl-dev nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The dashboard bundle is built first: CMake embeds dashboard/dist.
COPY dashboard dashboard
RUN cd dashboard && npm ci --no-audit --no-fund && npm run build
COPY CMakeLists.txt ./
COPY cmake cmake
COPY service service
COPY schema schema
COPY loadtest loadtest
COPY tests tests
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DREBOUND_BUILD_TESTS=OFF \
    && cmake --build build -j"$(nproc)" --target rebound

FROM debian:12-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libboost-json1.81.0 libboost-url1.81.0 libsimdjson14 libpqxx-6.4 libssl3 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 rebound
COPY --from=build /src/build/rebound /usr/local/bin/rebound
USER rebound
ENV REBOUND_LISTEN=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/rebound"]
CMD ["serve"]
