# A two-stage build: the compiler stage has no tag and the final stage runs as root.
FROM golang AS build
WORKDIR /src
COPY . .
RUN go build -o /out/worker ./cmd/worker

FROM debian:bookworm-slim AS build
COPY --from=build /out/worker /usr/local/bin/worker
ENTRYPOINT /usr/local/bin/worker --queue jobs
