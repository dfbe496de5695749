package cifar10

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/convnet/convnet/data"
)

// RecordsPerFile is the number of records in each batch file of the real
// data set. Load accepts any positive number up to maxRecordsPerFile.
const RecordsPerFile = 10000

// maxRecordsPerFile bounds the records of one file (ten times the real
// number) and maxTotalRecords those of one Load, so that a stray huge file is
// refused before memory is allocated for it.
const (
	maxRecordsPerFile = 10 * RecordsPerFile
	maxTotalRecords   = 1 << 20
)

// checkSize returns the number of records in a batch file of size bytes
// whose first bytes are head (used only to explain a wrong size).
func checkSize(size int64, head []byte) (int, error) {
	switch {
	case size == 0:
		return 0, fmt.Errorf("empty file: expected records of %d bytes (1 label byte and %d pixel bytes), %d per file",
			RecordBytes, ImageBytes, RecordsPerFile)
	case size%RecordBytes != 0:
		return 0, fmt.Errorf("size %d bytes is not a multiple of the %d-byte record (1 label byte and %d pixel bytes): "+
			"%d whole records and %d bytes more; a CIFAR-10 batch file has %d records (%d bytes)%s",
			size, RecordBytes, ImageBytes, size/RecordBytes, size%RecordBytes,
			RecordsPerFile, RecordsPerFile*RecordBytes, sizeHint(size, head))
	case size/RecordBytes > maxRecordsPerFile:
		return 0, fmt.Errorf("size %d bytes is %d records, more than the %d a CIFAR-10 batch file can have (it has %d)",
			size, size/RecordBytes, maxRecordsPerFile, RecordsPerFile)
	}
	return int(size / RecordBytes), nil
}

// sizeHint names the files that people mistake for CIFAR-10 batches.
func sizeHint(size int64, head []byte) string {
	switch {
	case len(head) >= 2 && head[0] == 0x80 && head[1] <= 5:
		return " (this looks like a Python pickle: the CIFAR-10 python version, not the binary version)"
	case bytes.HasPrefix(head, []byte("MATLAB")):
		return " (this looks like a MATLAB file: the CIFAR-10 Matlab version, not the binary version)"
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return " (this is gzip-compressed: unpack the .tar.gz archive first)"
	case size%(RecordBytes+1) == 0:
		return fmt.Sprintf(" (it is a multiple of %d: CIFAR-100, whose records have 2 label bytes?)", RecordBytes+1)
	}
	return ""
}

// readRecords reads exactly n records from r into labels[:n] and pix[:n*3072],
// checking each label, and then expects the end of r. Error messages state
// the problem without the file name.
func readRecords(r io.Reader, n int, labels, pix []byte) error {
	br := bufio.NewReaderSize(r, 1<<16)
	for k := range n {
		l, err := br.ReadByte()
		if err == nil {
			if l >= NumClasses {
				return fmt.Errorf("record %d (counting from 0, at byte offset %d) has label %d, expected 0..%d",
					k, int64(k)*RecordBytes, l, NumClasses-1)
			}
			labels[k] = l
			_, err = io.ReadFull(br, pix[k*ImageBytes:(k+1)*ImageBytes])
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return fmt.Errorf("truncated: expected %d records (%d bytes), the data ends in record %d (file changed while reading?)",
				n, int64(n)*RecordBytes, k)
		case err != nil:
			return fmt.Errorf("read error: %w", data.StripPath(err))
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		if err != nil {
			return fmt.Errorf("read error: %w", data.StripPath(err))
		}
		return fmt.Errorf("more data than the %d records (%d bytes) its size gave (file changed while reading?)",
			n, int64(n)*RecordBytes)
	}
	return nil
}

// parseBatch checks the content of a batch file and splits it into labels
// and pixels.
func parseBatch(b []byte) (labels, pix []byte, err error) {
	n, err := checkSize(int64(len(b)), b[:min(len(b), 8)])
	if err != nil {
		return nil, nil, err
	}
	labels, pix = make([]byte, n), make([]byte, n*ImageBytes)
	if err := readRecords(bytes.NewReader(b), n, labels, pix); err != nil {
		return nil, nil, err
	}
	return labels, pix, nil
}
