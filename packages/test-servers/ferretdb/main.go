// Command ferretdb runs FerretDB (MongoDB wire protocol over SQLite) for tests on machines without Docker.
//
// FerretDB is embedded as a library because a plain `go install` of its own command panics at start:
// build/version/version.txt is generated at release time and is not part of the Go module.
// The embedded package skips that check.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("dir", "", "directory for the SQLite databases (required)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	pprofAddr := flag.String("pprof", os.Getenv("FERRETDB_PPROF"), "address to serve Go's profiler (net/http/pprof) on, for performance work; off when empty")
	showVersion := flag.Bool("version", false, "print the FerretDB version and exit")
	flag.Parse()

	if *showVersion {
		fmt.Println(ferretDBVersion())
		return
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "-dir is required")
		os.Exit(2)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	logger := slog.New(&lazyHandler{inner: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})})

	if *pprofAddr != "" {
		go func() { logger.Error("pprof stopped", "error", http.ListenAndServe(*pprofAddr, nil)) }()
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	logger.Info("ferretdb starting", "version", ferretDBVersion(), "listen", *listen, "dir", *dir)
	if err := f.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// ferretDBVersion reads the version of the FerretDB module this binary was built with.
func ferretDBVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, dep := range info.Deps {
		if dep.Path == "github.com/FerretDB/FerretDB" {
			return dep.Version
		}
	}
	return "unknown"
}

// lazyHandler applies WithAttrs and WithGroup only when a record is actually written. FerretDB derives a logger
// with the query's attributes (SQL text and arguments included) for every query, and slog's TextHandler
// formats attributes as soon as they are attached, whatever the level: at "warn", with nothing ever logged,
// that formatting was about a fifth of FerretDB's CPU on bulk inserts.
type lazyHandler struct {
	inner slog.Handler
	with  []func(slog.Handler) slog.Handler
}

func (h *lazyHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *lazyHandler) Handle(ctx context.Context, record slog.Record) error {
	handler := h.inner
	for _, apply := range h.with {
		handler = apply(handler)
	}
	return handler.Handle(ctx, record)
}

func (h *lazyHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &lazyHandler{inner: h.inner, with: append(slices.Clip(h.with), func(next slog.Handler) slog.Handler {
		return next.WithAttrs(attrs)
	})}
}

func (h *lazyHandler) WithGroup(name string) slog.Handler {
	return &lazyHandler{inner: h.inner, with: append(slices.Clip(h.with), func(next slog.Handler) slog.Handler {
		return next.WithGroup(name)
	})}
}
