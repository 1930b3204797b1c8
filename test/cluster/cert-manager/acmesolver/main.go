// Command acmesolver stands in for cert-manager's acmesolver binary (the HTTP-01 solver pods'
// image on the test node): upstream's main package lives in a nested module the Go module proxy
// cannot serve. It runs the same solver (pkg/issuer/acme/http/solver) with upstream's flags,
// which cert-manager's controller passes to the pods it creates.
package main

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cert-manager/cert-manager/pkg/issuer/acme/http/solver"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"k8s.io/klog/v2"
)

func main() {
	s := new(solver.HTTP01Solver)
	flag.IntVar(&s.ListenPort, "listen-port", 8089, "the port number to listen on for connections")
	flag.StringVar(&s.Domain, "domain", "", "the domain name to verify")
	flag.StringVar(&s.Token, "token", "", "the challenge token to verify against")
	flag.StringVar(&s.Key, "key", "", "the challenge key to respond with")
	klog.InitFlags(nil) // --v
	flag.Parse()

	logf.InitLogs()
	defer logf.FlushLogs()
	log := logf.Log.WithName("acmesolver")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(shutdown); err != nil {
			log.Error(err, "shutting down")
		}
	}()
	if err := s.Listen(log); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error(err, "acmesolver failed")
		logf.FlushLogs()
		os.Exit(1)
	}
}
