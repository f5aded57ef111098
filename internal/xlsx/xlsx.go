// Package xlsx is the Excel face of the CRM (SPEC §6, 数据初始化): the one
// description of every importable table, and everything it drives — the
// template, the streaming reader, the validation that previews an upload,
// the commit through postgres (one transaction, batched statements, its
// progress written as it goes), the revert of a commit, the error report
// and the sheet of initial passwords. Orders (with their lines) and
// payments import as history, moving the figures as their workflows do.
//
// An xlsx is a zip, and an upload is untrusted: the file size is capped,
// the unpacked size is checked from the zip's directory before anything is
// unpacked, large worksheets are streamed from a temporary file rather than
// memory, rows are read one at a time (excelize's row iterator) while the
// importer's own scan decodes the same XML beside it (a sheet that cannot
// be read to its end is refused, never cut short), and the number of rows
// and the length of a cell are bounded. Every problem with the file as a
// whole is a *FileError with a message for the user; nothing is written
// then.
package xlsx

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"crm/internal/i18n"
)

// Limits bound what one import may cost.
type Limits struct {
	// MaxFileBytes is the largest upload (default 20 MiB).
	MaxFileBytes int64
	// UnzipSize is the most the file's parts may unpack to, together
	// (default 200 MiB): a zip bomb is refused from the zip's directory
	// before anything is unpacked.
	UnzipSize int64
	// UnzipXMLSize is the size above which excelize unpacks a worksheet or
	// the shared strings into a temporary file and streams it from there
	// instead of holding it in memory (default 16 MiB).
	UnzipXMLSize int64
	// MaxRows is the most data rows a file may hold (default 200 000).
	MaxRows int
	// MaxCellChars is the longest cell text (default 5 000 characters,
	// the longest field; longer is an error on the row, not a crash).
	MaxCellChars int
}

// DefaultLimits returns the limits described on Limits.
func DefaultLimits() Limits {
	return Limits{MaxFileBytes: 20 << 20, UnzipSize: 200 << 20, UnzipXMLSize: 16 << 20,
		MaxRows: 200_000, MaxCellChars: 5000}
}

// LimitsFromEnv returns DefaultLimits changed by CRM_IMPORT_MAX_MB (the
// upload size in MiB) and CRM_IMPORT_MAX_ROWS.
func LimitsFromEnv() Limits {
	l := DefaultLimits()
	if n, err := strconv.ParseInt(os.Getenv("CRM_IMPORT_MAX_MB"), 10, 64); err == nil && n > 0 {
		l.MaxFileBytes = n << 20
	}
	if n, err := strconv.Atoi(os.Getenv("CRM_IMPORT_MAX_ROWS")); err == nil && n > 0 {
		l.MaxRows = n
	}
	return l
}

func (l Limits) norm() Limits {
	d := DefaultLimits()
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.UnzipSize <= 0 {
		l.UnzipSize = d.UnzipSize
	}
	if l.UnzipXMLSize <= 0 || l.UnzipXMLSize > l.UnzipSize {
		l.UnzipXMLSize = min(d.UnzipXMLSize, l.UnzipSize)
	}
	if l.MaxRows <= 0 {
		l.MaxRows = d.MaxRows
	}
	if l.MaxCellChars <= 0 {
		l.MaxCellChars = d.MaxCellChars
	}
	return l
}

// slots admits one import (preview, commit or error report) per core of
// the process at a time; more are refused (ErrBusy), not queued.
var slots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

// ErrBusy is returned when every import slot of the process is taken.
var ErrBusy = errors.New("xlsx: every import slot is busy")

// TryAcquire takes an import slot, or reports false when all are taken.
// The caller calls release when done.
func TryAcquire() (release func(), ok bool) {
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, true
	default:
		return nil, false
	}
}

// Slots is the number of imports the process runs at once.
func Slots() int { return cap(slots) }

// FileError is a problem with the file as a whole (not an xlsx, too big,
// no header, merged cells, …): the file is refused and nothing is written.
type FileError struct {
	Key  string // catalog key
	Args []any
	// ArgsEN replaces Args in English where they differ (column names).
	ArgsEN []any
}

// Error implements error.
func (e *FileError) Error() string { return "xlsx: " + e.Message(i18n.EN) }

// Message is the problem in the user's language.
func (e *FileError) Message(l i18n.Locale) string {
	args := e.Args
	if l == i18n.EN && e.ArgsEN != nil {
		args = e.ArgsEN
	}
	return i18n.T(l, e.Key, args...)
}

func fileErr(key string, args ...any) *FileError { return &FileError{Key: key, Args: args} }

// mib renders a byte count in MiB for messages.
func mib(n int64) string { return fmt.Sprintf("%d", n>>20) }
