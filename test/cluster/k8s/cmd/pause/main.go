// Command pause is the pod sandbox ("pause") process for the test node: it sleeps
// until SIGTERM/SIGINT. A stand-in for registry.k8s.io/pause, which cannot be
// pulled here.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
