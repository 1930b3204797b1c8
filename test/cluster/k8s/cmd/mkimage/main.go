// Command mkimage writes a single-layer container image holding one static
// binary, as a `docker save` archive that `ctr images import` loads: the test
// node's images are built here because no registry can be reached.
//
//	mkimage -o out.tar -name registry.k8s.io/pause:3.10 -user 65535:65535 BINARY /pause
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"log"
	"os"
	"time"
)

func main() {
	out := flag.String("o", "", "output archive")
	name := flag.String("name", "", "image reference, e.g. registry.k8s.io/pause:3.10")
	user := flag.String("user", "65532:65532", "image user")
	flag.Parse()
	if *out == "" || *name == "" || flag.NArg() != 2 {
		log.Fatal("usage: mkimage -o OUT -name REF [-user U:G] BINARY PATH_IN_IMAGE")
	}
	bin, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	target := flag.Arg(1)
	epoch := time.Unix(0, 0)

	var layer bytes.Buffer
	lw := tar.NewWriter(&layer)
	must(lw.WriteHeader(&tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 01777, ModTime: epoch}))
	must(lw.WriteHeader(&tar.Header{Name: target[1:], Mode: 0o755, Size: int64(len(bin)), ModTime: epoch}))
	_, err = lw.Write(bin)
	must(err)
	must(lw.Close())
	layerSum := sha256.Sum256(layer.Bytes())
	diffID := "sha256:" + hex.EncodeToString(layerSum[:])

	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      epoch.UTC().Format(time.RFC3339),
		"config":       map[string]any{"Entrypoint": []string{target}, "User": *user, "WorkingDir": "/"},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{diffID}},
	})
	must(err)
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	layerName := hex.EncodeToString(layerSum[:]) + "/layer.tar"
	manifest, err := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": []string{*name}, "Layers": []string{layerName}}})
	must(err)

	f, err := os.Create(*out)
	must(err)
	w := tar.NewWriter(f)
	for _, e := range []struct {
		name string
		data []byte
	}{{configName, config}, {layerName, layer.Bytes()}, {"manifest.json", manifest}} {
		must(w.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), ModTime: epoch}))
		_, err = w.Write(e.data)
		must(err)
	}
	must(w.Close())
	must(f.Close())
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
