package enginetest

import (
	"io"
	"path"

	"github.com/lightningdb/lightning/engine/vfs"
)

// fileInfo is one regular file below a directory: its path (as passed to
// the FS) and its content.
type fileInfo struct {
	path string
	data []byte
}

// listFiles returns every regular file below dir, in path order, with its
// content.
func listFiles(fs vfs.FS, dir string) ([]fileInfo, error) {
	names, err := fs.List(dir)
	if err != nil {
		return nil, err
	}
	var out []fileInfo
	for _, name := range names {
		p := path.Join(dir, name)
		st, err := fs.Stat(p)
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			sub, err := listFiles(fs, p)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		data, err := vfs.ReadFile(fs, p)
		if err != nil {
			return nil, err
		}
		out = append(out, fileInfo{path: p, data: data})
	}
	return out, nil
}

// flipByte XORs the byte at off of name with mask, in place.
func flipByte(fs vfs.FS, name string, off int64, mask byte) error {
	f, err := fs.OpenReadWrite(name)
	if err != nil {
		return err
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil && err != io.EOF {
		f.Close()
		return err
	}
	b[0] ^= mask
	if _, err := f.WriteAt(b, off); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
