package safetensors

import (
	"bytes"
	"testing"
)

// FuzzParse checks that Parse never panics, that Decode agrees with it, and
// that whatever Parse accepts survives Encode and Parse unchanged.
func FuzzParse(f *testing.F) {
	var valid bytes.Buffer
	if err := Encode(&valid, sampleFile()); err != nil {
		f.Fatal(err)
	}
	f.Add(valid.Bytes())
	f.Add(rawFile("{}", nil))
	f.Add(rawFile(`{"__metadata__":{"a":"b"},"x":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(rawFile(`{"a":{"dtype":"F4","shape":[2],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[0],"data_offsets":[1,1]}}`, []byte{7}))
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(le64(1 << 62))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Parse(b)
		dec, decErr := Decode(bytes.NewReader(b), int64(len(b)))
		if (err == nil) != (decErr == nil) {
			t.Fatalf("Parse error %v, but Decode error %v", err, decErr)
		}
		if err != nil {
			if err.Error() != decErr.Error() {
				t.Fatalf("Parse error %q, Decode error %q", err, decErr)
			}
			return
		}
		if !equalFiles(got, dec) {
			t.Fatalf("Parse = %+v, Decode = %+v", got, dec)
		}
		var buf bytes.Buffer
		if err := Encode(&buf, got); err != nil {
			t.Fatalf("Encode of parsed file: %v", err)
		}
		again, err := Parse(buf.Bytes())
		if err != nil {
			t.Fatalf("Parse of re-encoded file: %v", err)
		}
		if !equalFiles(got, again) {
			t.Fatalf("round trip changed the file:\n%+v\n%+v", got, again)
		}
		var buf2 bytes.Buffer
		if err := Encode(&buf2, again); err != nil || !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
			t.Fatalf("Encode is not stable (error %v)", err)
		}
	})
}
