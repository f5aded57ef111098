package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/postgres"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/internal/xlsx"
	"crm/web/views"
)

// Excel import (数据初始化, SPEC §6): templates, upload → preview (the
// file is checked and kept with its report; nothing else is written),
// commit, the error report, the import history. The route group lets in
// those who may import at all (admin, management); each table is then
// checked on its own (organisation tables: admin only).

// importHandlers serve the import pages with the importer of this server.
type importHandlers struct {
	s  *Server
	im *xlsx.Importer
}

// commitTimeout bounds a commit or a revert that the browser no longer
// waits for.
const commitTimeout = 30 * time.Minute

// jobsShown is how many jobs the import history lists.
const jobsShown = 50

// tableByPath returns the table of the URL that the actor may import into:
// 404 for no such table, 403 for one they may not import.
func (h *importHandlers) tableByPath(w http.ResponseWriter, r *http.Request) (*xlsx.Table, bool) {
	t := xlsx.TableByName(chi.URLParam(r, "table"))
	if t == nil {
		h.s.fail(w, r, crm.ErrNotFound)
		return nil, false
	}
	if !t.AllowedTo(webctx.Actor(r.Context())) {
		h.s.fail(w, r, crm.ErrForbidden)
		return nil, false
	}
	return t, true
}

// handleImports is the import page: a card per table the user may import
// (template, upload form) and the import history (their own jobs; admins
// see everyone's).
func (h *importHandlers) handleImports(w http.ResponseWriter, r *http.Request) {
	h.renderIndex(w, r, http.StatusOK, "", "")
}

func (h *importHandlers) renderIndex(w http.ResponseWriter, r *http.Request, status int, errTable, errMsg string) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	l := webctx.Locale(ctx)
	p := views.ImportIndexProps{ErrorTable: errTable, Error: errMsg, AllJobs: a.Role == crm.RoleAdmin,
		MaxMB: h.im.Limits.MaxFileBytes >> 20, MaxRows: h.im.Limits.MaxRows}
	for _, t := range xlsx.Tables {
		if !t.AllowedTo(a) {
			continue
		}
		row := views.ImportTableRow{Name: t.Name, Label: i18n.T(l, t.Label), Note: i18n.T(l, t.Note)}
		for i := range t.Columns {
			c := &t.Columns[i]
			label := xlsx.HeaderLabel(c, l)
			if c.Required {
				label += "*"
			}
			row.Columns = append(row.Columns, label)
		}
		p.Tables = append(p.Tables, row)
	}
	jobs, err := h.s.db.FindImportJobs(ctx, a, jobsShown)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	for _, j := range jobs {
		p.Jobs = append(p.Jobs, views.ImportJobRow{Job: j, TableLabel: tableLabel(j.Table, l)})
	}
	h.s.render(w, r, status, views.ImportIndex(p))
}

func tableLabel(name string, l i18n.Locale) string {
	if t := xlsx.TableByName(name); t != nil {
		return i18n.T(l, t.Label)
	}
	return name
}

// handleImportTemplate downloads a table's template with today's allowed
// values in its drop-downs.
func (h *importHandlers) handleImportTemplate(w http.ResponseWriter, r *http.Request) {
	t, ok := h.tableByPath(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	l := webctx.Locale(ctx)
	opts, err := h.s.db.AllOptions(ctx)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := xlsx.WriteTemplate(&buf, t, opts, l); err != nil {
		h.s.fail(w, r, err)
		return
	}
	download(w, i18n.T(l, "import.template_file", i18n.T(l, t.Label)), buf.Bytes())
}

// download sends an xlsx as an attachment called name.
func download(w http.ResponseWriter, name string, b []byte) {
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", attachment(name))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// attachment is a Content-Disposition naming a (Chinese) file name the
// way every browser reads it (RFC 6266 filename*).
func attachment(name string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}

// handleImportUpload reads the uploaded file (multipart field "file",
// capped at the upload limit) and previews it: the file is checked and
// kept with its report as an import job, and the answer is the job's page.
// A file that cannot be imported re-renders the import page with the
// reason (413 too large, 422 otherwise) and writes nothing.
func (h *importHandlers) handleImportUpload(w http.ResponseWriter, r *http.Request) {
	t, ok := h.tableByPath(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	l := webctx.Locale(ctx)
	limit := h.im.Limits.MaxFileBytes
	r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20) // the file and the form around it
	name, data, opts, err := readUpload(r, limit)
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, errBadText):
		h.s.answerBadText(w, r)
		return
	case errors.As(err, &tooBig) || errors.Is(err, errTooLarge):
		h.renderIndex(w, r, http.StatusRequestEntityTooLarge, t.Name, i18n.T(l, "import.file.too_large", limit>>20))
		return
	case err != nil || len(data) == 0:
		h.renderIndex(w, r, http.StatusUnprocessableEntity, t.Name, i18n.T(l, "import.file.no_file"))
		return
	}
	id, _, err := h.im.Preview(ctx, webctx.Actor(ctx), t, name, data, opts)
	if err != nil {
		h.importFailed(w, r, t.Name, err)
		return
	}
	h.s.redirect(w, r, route.ImportJob(id))
}

var (
	errTooLarge = errors.New("upload too large")
	errBadText  = errors.New("control character or broken UTF-8 in a form field")
)

// readUpload streams the multipart form: the file (at most limit bytes)
// with its name, and the two choices.
func readUpload(r *http.Request, limit int64) (name string, data []byte, opts xlsx.Options, err error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, opts, err
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, opts, err
		}
		switch part.FormName() {
		case "file":
			name = cleanFileName(part.FileName())
			data, err = io.ReadAll(io.LimitReader(part, limit+1))
			if err != nil {
				return "", nil, opts, err
			}
			if int64(len(data)) > limit {
				return "", nil, opts, errTooLarge
			}
		default:
			// The form's text fields: the two choices are read, and none
			// may hold what refuseBadText refuses in other forms.
			b, err := io.ReadAll(io.LimitReader(part, 1<<10))
			if err != nil {
				return "", nil, opts, err
			}
			if badText(part.FormName()) || badText(string(b)) {
				return "", nil, opts, errBadText
			}
			switch part.FormName() {
			case "on_error":
				opts.OnError = string(b)
			case "existing":
				opts.Existing = string(b)
			}
		}
		part.Close()
	}
	return name, data, opts.Norm(), nil
}

// cleanFileName keeps the last element of an uploaded file's name, within
// 200 characters, without control characters (PostgreSQL refuses NUL)
// or bytes that are not UTF-8.
func cleanFileName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\ufffd"))
	s = crm.CleanText(s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200])
	}
	if s == "" {
		s = "upload.xlsx"
	}
	return s
}

// importFailed answers an import that could not run: the file's problem on
// the import page (422), every import slot taken (429), or the usual page
// for a coded error.
func (h *importHandlers) importFailed(w http.ResponseWriter, r *http.Request, table string, err error) {
	ctx := r.Context()
	var fe *xlsx.FileError
	switch {
	case errors.As(err, &fe):
		h.renderIndex(w, r, http.StatusUnprocessableEntity, table, fe.Message(webctx.Locale(ctx)))
	case errors.Is(err, xlsx.ErrBusy):
		h.busy(w, r)
	default:
		h.s.fail(w, r, err)
	}
}

// busy answers 429 when every import slot of the process is taken.
func (h *importHandlers) busy(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("Retry-After", "30")
	h.s.render(w, r, http.StatusTooManyRequests, views.ErrorPage(views.ErrorProps{Status: http.StatusTooManyRequests,
		Title: webctx.T(ctx, "import.busy_title"), Message: webctx.T(ctx, "import.busy", xlsx.Slots()), SignedIn: true}))
}

// jobByPath loads the job of the URL that the actor may view (404
// otherwise).
func (h *importHandlers) jobByPath(w http.ResponseWriter, r *http.Request) (crm.ImportJob, bool) {
	id, err := pathID(r)
	if err == nil {
		var j crm.ImportJob
		if j, err = h.s.db.ImportJobByID(r.Context(), webctx.Actor(r.Context()), id); err == nil {
			return j, true
		}
	}
	h.s.fail(w, r, err)
	return crm.ImportJob{}, false
}

// pageErrors is how many errors the job page lists: every one the report
// keeps.
const pageErrors = xlsx.MaxErrors

// handleImportJob shows a job: its counts, every error (第N行 「列名」：…),
// the first rows, and — for its importer while it is a preview — the
// commit form; while a commit runs, its progress (polled); after a commit
// that was cut off (its process died), that it was interrupted, nothing
// written, with the commit form again; once committed, the revert button
// for those who may revert it.
func (h *importHandlers) handleImportJob(w http.ResponseWriter, r *http.Request) {
	j, ok := h.jobByPath(w, r)
	if !ok {
		return
	}
	h.renderJob(w, r, http.StatusOK, j, nil)
}

// renderJob renders a job's page, with the reasons a revert was refused
// (blockers) when there are some.
func (h *importHandlers) renderJob(w http.ResponseWriter, r *http.Request, status int, j crm.ImportJob, blockers []postgres.ImportBlocker) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	l := webctx.Locale(ctx)
	t := xlsx.TableByName(j.Table)
	rep, err := xlsx.ParseReport(j.Report)
	if err != nil || t == nil {
		h.s.fail(w, r, errors.Join(errors.New("import job: unreadable report"), err))
		return
	}
	p := views.ImportJobProps{Job: j, TableLabel: i18n.T(l, t.Label), Counts: rep.Counts, Examples: rep.Examples,
		OnError: rep.Options.OnError, Existing: rep.Options.Existing, Blocked: rep.Blocked,
		Committed: j.Status == crm.ImportCommitted, Reverted: j.Status == crm.ImportReverted, MoreErrors: rep.MoreErrors,
		Interrupted:  j.Interrupted(),
		CanCommit:    j.Status == crm.ImportPreviewed && j.CreatedBy == a.ID && t.AllowedTo(a),
		CanPasswords: j.HasPasswords && j.CreatedBy == a.ID, Passwords: rep.Passwords, NoUpdate: t.NoUpdate,
		CanRevert: j.Status == crm.ImportCommitted && t.Target.Revertible() && xlsx.CanRevert(a, j, t),
		Progress:  importProgress(j.ID, j.Status, j.Progress)}
	if p.OnError == "" {
		p.OnError, p.Existing = j.OnError, j.Existing
	}
	for i := range t.Columns {
		p.Columns = append(p.Columns, xlsx.HeaderLabel(&t.Columns[i], l))
	}
	for _, e := range rep.Errors {
		if len(p.Errors) == pageErrors {
			p.MoreErrors += len(rep.Errors) - pageErrors
			break
		}
		p.Errors = append(p.Errors, views.ImportErrorLine{Row: e.Row, Message: e.Message(t, l)})
	}
	for _, e := range rep.Warnings {
		p.Warnings = append(p.Warnings, views.ImportErrorLine{Row: e.Row, Message: e.Message(t, l)})
	}
	p.MoreWarnings, p.Sheet = rep.MoreWarnings, rep.SheetLine(l)
	for _, pr := range rep.Preview {
		row := views.ImportPreviewRow{Row: pr.Row, Action: pr.Action, Cells: pr.Cells}
		for i := range t.Columns {
			if slices.Contains(pr.Warn, t.Columns[i].Field) {
				row.Warn = append(row.Warn, i)
			}
		}
		p.Preview = append(p.Preview, row)
	}
	for _, b := range blockers {
		p.Blockers = append(p.Blockers, xlsx.BlockerMessage(b, l))
	}
	h.s.render(w, r, status, views.ImportJob(p))
}

// importProgress is the progress bar of a job.
func importProgress(id int64, status string, pr crm.ImportProgress) views.ImportProgressProps {
	return views.ImportProgressProps{JobID: id, Running: pr.Running, Phase: pr.Phase, Done: pr.Done, Total: pr.Total,
		Finished: !pr.Running && status != crm.ImportPreviewed}
}

// handleImportProgress answers the progress bar's poll (htmx, every
// second while a commit runs) with the bar as it is now — read from the
// job in the database, so that whichever instance answers, it shows the
// commit that runs on any of them. Viewers of the job only (404).
func (h *importHandlers) handleImportProgress(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	status, pr, err := h.s.db.ImportJobProgress(ctx, webctx.Actor(ctx), id)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	p := importProgress(id, status, pr)
	p.Poll = true // asked for: keep asking until the commit has ended
	p.Idle, _ = strconv.Atoi(r.URL.Query().Get("idle"))
	h.s.render(w, r, http.StatusOK, views.ImportProgress(p))
}

// handleImportRevert undoes a committed import (撤销导入) and goes back to
// the job's page, which says so; when something holds the revert back,
// the page answers 409 with every reason, and nothing has changed.
func (h *importHandlers) handleImportRevert(w http.ResponseWriter, r *http.Request) {
	j, ok := h.jobByPath(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	// As a commit, a revert runs to its end when the browser stops waiting.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	res, blockers, err := h.im.Revert(cctx, webctx.Actor(ctx), j.ID)
	switch {
	case len(blockers) > 0:
		h.renderJob(w, r, http.StatusConflict, j, blockers)
		return
	case err != nil:
		h.s.fail(w, r, err)
		return
	}
	h.s.flash(r, "ok", "import.reverted", res.Deleted, res.Restored)
	h.s.redirect(w, r, route.ImportJob(j.ID))
}

// handleImportCommit writes a previewed job's rows (fields on_error:
// block|skip, existing: skip|update) and goes back to the job's page,
// which says what was done — or, when errors block, that nothing was.
// While it runs, the job's page shows its progress (handleImportProgress).
func (h *importHandlers) handleImportCommit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	opts := xlsx.Options{OnError: r.PostFormValue("on_error"), Existing: r.PostFormValue("existing")}
	// The commit does not stop when the browser does (a closed tab, a
	// page left): it runs to its end, its progress and outcome on the
	// job's page.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	rep, err := h.im.Commit(cctx, webctx.Actor(ctx), id, opts)
	var fe *xlsx.FileError
	switch {
	case errors.As(err, &fe):
		h.s.putFlash(ctx, storedFlash{Kind: "error", Key: fe.Key, Args: toFlashArgs(fe.Args), ArgsEN: toFlashArgs(fe.ArgsEN)})
	case errors.Is(err, xlsx.ErrBusy):
		h.busy(w, r)
		return
	case crm.ErrorCode(err) == crm.EINVALID:
		e := err.(*crm.Error)
		h.s.flash(r, "error", e.Message, e.Args...)
	case err != nil:
		h.s.fail(w, r, err)
		return
	case rep.Blocked:
		h.s.flash(r, "error", "import.blocked", rep.Counts.Error)
	default:
		c := rep.Counts
		h.s.flash(r, "ok", "import.committed", c.New, c.Update, c.Skip)
	}
	h.s.redirect(w, r, route.ImportJob(id))
}

// handleImportErrors downloads the job's uploaded sheet with an 错误原因
// column, in the user's language.
func (h *importHandlers) handleImportErrors(w http.ResponseWriter, r *http.Request) {
	j, ok := h.jobByPath(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	l := webctx.Locale(ctx)
	base := strings.TrimSuffix(j.FileName, ".xlsx")
	out := &lazyDownload{w: w, name: i18n.T(l, "import.errors_file", base)}
	if err := h.im.WriteErrorReport(ctx, out, webctx.Actor(ctx), j.ID, l); err != nil {
		if out.started {
			panic(http.ErrAbortHandler) // half a file went out: cut the connection
		}
		h.importFailed(w, r, j.Table, err)
	}
}

// lazyDownload streams an attachment: its headers go out with the first
// bytes, so that a failure before them can still answer an error page.
type lazyDownload struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (d *lazyDownload) Write(b []byte) (int, error) {
	if !d.started {
		d.started = true
		d.w.Header().Set("Content-Type", xlsxType)
		d.w.Header().Set("Content-Disposition", attachment(d.name))
		d.w.Header().Set("Cache-Control", "no-store")
	}
	return d.w.Write(b)
}

// handleImportPasswords downloads, once and to the importer only, the
// initial passwords of the employees a job created.
func (h *importHandlers) handleImportPasswords(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	b, err := h.s.db.TakeImportPasswords(ctx, webctx.Actor(ctx), id)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	download(w, i18n.T(webctx.Locale(ctx), "import.passwords_file", id), b)
}
