// Package oracle loads testdata/oracle-x64.json: constant values and structure layouts compiled
// from the Windows SDK headers (x86_64-w64-mingw32), against which the tests of every package
// check their constants, sizes and field offsets.
package oracle

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// Constant is one compiled constant.
type Constant struct {
	Name      string      `json:"name"`
	Group     string      `json:"group"`
	InHeaders bool        `json:"in_headers"`
	Value     json.Number `json:"value"`
	Hex       string      `json:"hex"`
	Size      int         `json:"size"`
	Signed    bool        `json:"signed"`
}

// Field is one structure member.
type Field struct {
	Name   string `json:"name"`
	Offset int    `json:"offset"`
	Size   int    `json:"size"`
}

// Type is one structure or scalar type.
type Type struct {
	Name   string  `json:"name"`
	Size   int     `json:"size"`
	Align  int     `json:"align"`
	Fields []Field `json:"fields"`
}

// Oracle is the whole file.
type Oracle struct {
	Target      string     `json:"target"`
	PointerSize int        `json:"pointer_size"`
	Constants   []Constant `json:"constants"`
	Types       []Type     `json:"types"`
}

var (
	once   sync.Once
	loaded Oracle
	err    error
)

// Load reads the oracle file once. It lives in the module's top-level testdata folder.
func Load() (*Oracle, error) {
	once.Do(func() {
		_, here, _, _ := runtime.Caller(0)
		path := filepath.Join(filepath.Dir(here), "..", "..", "testdata", "oracle-x64.json")
		data, e := os.ReadFile(path)
		if e != nil {
			err = e
			return
		}
		err = json.Unmarshal(data, &loaded)
	})
	return &loaded, err
}

// Group returns the constants of one group ("error", "secsock-protocol", "ioctl", ...).
func (o *Oracle) Group(group string) []Constant {
	var out []Constant
	for _, c := range o.Constants {
		if c.Group == group {
			out = append(out, c)
		}
	}
	return out
}

// Type returns the layout of the named type.
func (o *Oracle) Type(name string) (Type, error) {
	for _, t := range o.Types {
		if t.Name == name {
			return t, nil
		}
	}
	return Type{}, fmt.Errorf("oracle: no type %q", name)
}

// Field returns the named field of the type.
func (t Type) Field(name string) (Field, error) {
	for _, f := range t.Fields {
		if f.Name == name {
			return f, nil
		}
	}
	return Field{}, fmt.Errorf("oracle: type %s has no field %q", t.Name, name)
}
