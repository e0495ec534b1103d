# syntax=docker/dockerfile:1

# Build: a static binary, so the final image needs no libc.
FROM golang:1.26 AS build
WORKDIR /src
# Modules first: this layer is cached until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/jsmbot ./cmd/jsmbot

# Run: distroless static (CA certificates and tzdata, no shell, no package
# manager) as its non-root user 65532. The user is numeric so Kubernetes'
# runAsNonRoot can verify it.
#
# No HEALTHCHECK: Docker runs health checks inside the container and this
# image has no shell or curl. Probe GET /healthz on JSMBOT_HTTP_ADDR (:8080)
# from outside, e.g. a Kubernetes httpGet liveness/readiness probe.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/jsmbot /jsmbot
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/jsmbot"]
CMD ["run"]
