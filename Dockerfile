# syntax=docker/dockerfile:1

# Build: a static binary, so the final image needs no libc.
FROM golang:1.26 AS build
WORKDIR /src
# Modules first: this layer is cached until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# jsmbot version prints VERSION (docker build --build-arg VERSION=v1.2.0):
# .git is not in the context, so the build info has no commit.
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/jsmbot ./cmd/jsmbot

# Run: distroless static (CA certificates and tzdata, no shell, no package
# manager) as its non-root user 65532. The user is numeric so Kubernetes'
# runAsNonRoot can verify it.
#
# The health check is the binary itself (exec form: the image has no shell
# or curl): jsmbot healthcheck GETs /healthz on JSMBOT_HTTP_ADDR's port.
# Kubernetes ignores HEALTHCHECK: probe /healthz (liveness) and /readyz
# (readiness) on :8080 with httpGet instead.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/jsmbot /jsmbot
USER 65532:65532
ENV JSMBOT_HTTP_ADDR=:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["/jsmbot", "healthcheck"]
ENTRYPOINT ["/jsmbot"]
CMD ["run"]
