// Package lint holds the project's own lint rules, run as tests so that
// `go test ./...` enforces them.
package lint

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// osFileFuncs are the package os functions that touch files. Engine and
// backend code must use engine/vfs instead, so crash and fault tests see
// every byte of I/O.
var osFileFuncs = map[string]bool{
	"Create": true, "Open": true, "OpenFile": true, "Remove": true, "RemoveAll": true,
	"Rename": true, "Mkdir": true, "MkdirAll": true, "ReadFile": true, "WriteFile": true,
	"ReadDir": true, "Stat": true, "Lstat": true, "Truncate": true, "Link": true, "Symlink": true,
}

// TestNoRawFileIO fails if non-test code under engine/ or backends/
// (other than engine/vfs, which implements the OS file system) calls a
// package os file function.
func TestNoRawFileIO(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, top := range []string{"engine", "backends"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			rel, _ := filepath.Rel(root, path)
			if d.IsDir() {
				if rel == filepath.Join("engine", "vfs") || d.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			for _, msg := range rawFileIO(path, rel) {
				t.Error(msg)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// rawFileIO returns one message per package os file call in the Go file
// at path.
func rawFileIO(path, rel string) (msgs []string) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", rel, err)}
	}
	osName := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "os" {
			osName = "os"
			if imp.Name != nil {
				osName = imp.Name.Name
			}
		}
	}
	if osName == "" {
		return nil
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && id.Name == osName && osFileFuncs[sel.Sel.Name] {
			msgs = append(msgs, fmt.Sprintf("%s: os.%s: engine and backend code must do file I/O through engine/vfs", fset.Position(sel.Pos()), sel.Sel.Name))
		}
		return true
	})
	return msgs
}

// The rule must be able to fail: it flags a file that renames the os import.
func TestRawFileIOFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.go")
	src := "package bad\n\nimport xos \"os\"\n\nfunc f() { xos.Create(\"x\"); xos.Getenv(\"y\") }\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	msgs := rawFileIO(path, "bad.go")
	if len(msgs) != 1 || !strings.Contains(msgs[0], "os.Create") {
		t.Fatalf("got %q", msgs)
	}
}
