// Command hello is the test node's workload: an HTTP server that answers
// "ok <hostname>" on :8080 (or $PORT), for readiness probes and Service checks.
// `hello get URL` is its client, for connectivity probes from inside a pod (kubectl exec):
// it prints the response's status code and the start of its body and exits 0, or prints
// the error (refused, timed out after 3 s, ...) and exits 1. Redirects are not followed.
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "get" {
		os.Exit(get(os.Args[2]))
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	host, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "ok %s\n", host)
	})
	log.Printf("hello: listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}

func get(url string) int {
	client := http.Client{
		Timeout:       3 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	fmt.Printf("%d %s\n", resp.StatusCode, strings.TrimSpace(string(body)))
	return 0
}
