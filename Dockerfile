# syntax=docker/dockerfile:1
# The gateway as a static binary on distroless: no shell, no package manager, uid 65532.
#   docker build --build-arg VERSION=$(git describe --tags --always) -t budgetgw/gateway .
#   docker run -v $PWD/config.yaml:/etc/gateway/config.yaml:ro -e RETOOL_API_TOKEN budgetgw/gateway
# No HEALTHCHECK: orchestrators probe /healthz and /readyz on the admin port (9090), which
# must then listen on 0.0.0.0 (server.admin_listen), not the default 127.0.0.1.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/budgetgw/gateway/internal/metrics.Version=${VERSION}" \
      -o /out/gateway ./cmd/gateway

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gateway /gateway
# Numeric, so Kubernetes can verify runAsNonRoot without guessing what "nonroot" means.
USER 65532:65532
# 8080: API calls from internal callers. 9090: /metrics, /healthz, /readyz and the admin API.
EXPOSE 8080 9090
ENTRYPOINT ["/gateway"]
CMD ["serve", "-config", "/etc/gateway/config.yaml"]
