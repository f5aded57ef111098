// Package web embeds the static assets served by the binary and names them
// with a content hash so that browsers may cache them for a year.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

// Static holds css, vendored js and images under static/.
//
//go:embed static
var Static embed.FS

var version = func() string {
	h := sha256.New()
	_ = fs.WalkDir(Static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Static, p)
		if err == nil {
			h.Write([]byte(p))
			h.Write(b)
		}
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:10]
}()

// Asset returns the URL of a static file (path relative to static/), with
// the assets' version so that a new build is fetched anew.
func Asset(path string) string { return "/static/" + path + "?v=" + version }
