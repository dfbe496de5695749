// Command convnet trains, tests, examines, serves and benchmarks
// convolutional networks (the lesson's LeNet-5, VGG) on MNIST and
// CIFAR-10 from the command line. It is a thin shell over the library:
// it parses flags, wires packages together and prints.
//
// Usage:
//
//	convnet <command> [flags] [arguments]
//
// The commands are:
//
//	train     train a model, saving a checkpoint (and its optimizer state and metrics) after every epoch
//	eval      test a checkpoint on its data set's test images: accuracy, per class, confusion matrix
//	predict   classify PNG or JPEG images with a checkpoint
//	summary   print a model and a table of its layers' output shapes, parameters and FLOPs
//	inspect   show every layer's output for one test image (the lesson's intermediate values)
//	plot      draw a training run's loss and accuracy curves from its .metrics.jsonl file
//	bench     measure training, inference and GEMM speed on this machine
//	convert   convert a checkpoint between safetensors and PyTorch's .pth, either way
//	onnx-test run cases of ONNX's backend tests
//	download  download and unpack CIFAR-10 (checked against its published MD5)
//	serve     serve a page to draw a digit and watch the model's input, probabilities and feature maps
//
// "convnet help <command>" or "convnet <command> -h" lists a command's flags.
//
// Errors are one line on stderr, "convnet <command>: <what is wrong>", with
// exit status 2 for a bad invocation and 1 for a failure; an interrupted
// training run (Ctrl-C) exits with 130.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/datasets/mnist"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// command is one entry of the dispatch table: adding a command is adding
// one entry to commands.
type command struct {
	name    string
	summary string
	// run runs the command; its error becomes the exit status (finish).
	run func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists the commands in the order usage shows them. It is filled
// in init so that the help text, which reads it, may be reached from the
// commands themselves.
var commands []command

func init() {
	commands = []command{
		{"train", "train a model, saving a checkpoint after every epoch", trainCmd},
		{"eval", "test a checkpoint on its data set's test images: accuracy, per class, confusion matrix", evalCmd},
		{"predict", "classify PNG or JPEG images with a checkpoint", predictCmd},
		{"summary", "print a model and a table of its layers' output shapes and parameters", summaryCmd},
		{"inspect", "show every layer's output for one test image (the lesson's intermediate values)", inspectCmd},
		{"plot", "draw a training run's loss and accuracy curves from its .metrics.jsonl file (PNG or SVG)", plotCmd},
		{"bench", "measure training, inference and GEMM speed on this machine", benchCmd},
		{"convert", "convert a checkpoint between safetensors and PyTorch's .pth, either way", convertCmd},
		{"onnx-test", "run cases of ONNX's backend tests (model.onnx with its inputs and outputs)", onnxTestCmd},
		{"download", "download and unpack CIFAR-10 (checked against its published MD5)", downloadCmd},
		{"serve", "serve a page to draw a digit and watch the model's input, probabilities and feature maps live", serveCmd},
	}
}

func main() {
	// Training recycles its tensors (tensor.Arena), so little garbage is
	// made after loading: collecting at 25% growth instead of 100% costs
	// almost nothing and keeps the peak memory near what is live.
	debug.SetGCPercent(25)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first Ctrl-C the command stops between batches; a
		// second one ends the process at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// run is the whole command line: it dispatches args to a command and
// returns the exit status. It writes only to stdout and stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return exitOK
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if name == "help" && len(rest) > 0 {
			if len(rest) > 1 {
				fmt.Fprintf(stderr, "convnet help: too many arguments: %s (want one command)\n", strings.Join(rest, " "))
				return exitUsage
			}
			c, ok := lookupCommand(rest[0])
			if !ok {
				fmt.Fprintf(stderr, "convnet help: unknown command %q (commands: %s)\n", rest[0], commandNames())
				return exitUsage
			}
			return c.exec(ctx, []string{"-h"}, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	}
	c, ok := lookupCommand(name)
	if !ok {
		fmt.Fprintf(stderr, "convnet: unknown command %q (commands: %s; run 'convnet help')\n", name, commandNames())
		return exitUsage
	}
	return c.exec(ctx, rest, stdout, stderr)
}

// exec runs the command and turns its error, or a panic, into one line on
// stderr and the exit status.
func (c command) exec(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return finish(stderr, c.name, guard(func() error { return c.run(ctx, args, stdout, stderr) }))
}

func lookupCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func commandNames() string {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "convnet trains and examines convolutional networks on %s.\n\n", strings.Join(datasets.Names(), " and "))
	fmt.Fprintf(w, "usage: convnet <command> [flags] [arguments]\n\ncommands:\n")
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(w, "\nmodels: %s\n", strings.Join(models.Names(), ", "))
	fmt.Fprintf(w, "\nRun 'convnet help <command>' or 'convnet <command> -h' for a command's flags.\n")
}

// usageError is a bad invocation: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error {
	return &usageError{fmt.Sprintf(format, a...)}
}

// errHelp reports that -h was given and the help has been printed.
var errHelp = errors.New("help shown")

// errInterrupted reports an interruption whose message is already
// printed.
var errInterrupted = errors.New("interrupted")

// errReported is a failure whose messages are already printed: exit 1
// without another line.
var errReported = errors.New("failed")

// finish turns a command's error into its exit status, printing it as one
// line "convnet <cmd>: <message>" on stderr.
func finish(stderr io.Writer, cmd string, err error) int {
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, errInterrupted):
		return exitInterrupted
	case errors.Is(err, errReported):
		return exitFailure
	}
	fmt.Fprintf(stderr, "convnet %s: %s\n", cmd, oneLine(err.Error()))
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	if errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	return exitFailure
}

// oneLine joins the lines of a message so that an error is always exactly
// one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// guard runs a command body and turns a panic into an error, so that the
// user sees one line rather than a stack trace.
func guard(body func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return body()
}

// cmdSpec describes a command's flags and arguments for parsing and help.
type cmdSpec struct {
	name  string
	args  string // synopsis of the positional arguments, e.g. "IMAGE..."
	about string // a paragraph for -h
	flags *flag.FlagSet
}

func newCmd(name, args, about string) *cmdSpec {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cmdSpec{name: name, args: args, about: about, flags: fs}
}

// parse parses args, allowing flags after positional arguments (a "--"
// ends the flags). -h prints the help on stdout and returns errHelp.
// Flag errors come back as one-line usage errors naming the flag.
func (c *cmdSpec) parse(args []string, stdout io.Writer) ([]string, error) {
	var pos []string
	for {
		if err := c.flags.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.help(stdout)
				return nil, errHelp
			}
			return nil, &usageError{flagError(c.flags, err)}
		}
		rest := c.flags.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return pos, nil
}

func flagError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return "unknown flag " + dashes(f) + " (see -h)"
	}
	if f, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return "flag " + dashes(f) + " needs a value"
	}
	// invalid value "x" for flag -epochs: parse error
	// invalid boolean value "x" for -shuffle: parse error
	if strings.HasPrefix(msg, "invalid ") {
		for _, sep := range []string{" for flag -", " for -"} {
			i := strings.LastIndex(msg, sep)
			if i < 0 {
				continue
			}
			name, why, _ := strings.Cut(msg[i+len(sep):], ": ")
			val := msg[strings.Index(msg, "value ")+len("value ") : i]
			if strings.Contains(why, "parse error") {
				why = "not " + flagKind(fs.Lookup(name))
			}
			return fmt.Sprintf("--%s: invalid value %s: %s", name, val, why)
		}
	}
	return msg
}

// flagKind names what a flag expects, for parse errors.
func flagKind(f *flag.Flag) string {
	if f == nil {
		return "valid"
	}
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case bool:
			return "true or false"
		case int, int64:
			return "an integer"
		case uint, uint64:
			return "a non-negative integer"
		case float64:
			return "a number"
		}
	}
	return "valid"
}

func dashes(f string) string {
	return "--" + strings.TrimLeft(f, "-")
}

// help prints the command's synopsis and flags.
func (c *cmdSpec) help(w io.Writer) {
	syn := "usage: convnet " + c.name
	if hasFlags(c.flags) {
		syn += " [flags]"
	}
	if c.args != "" {
		syn += " " + c.args
	}
	fmt.Fprintln(w, syn)
	if c.about != "" {
		fmt.Fprintf(w, "\n%s\n", c.about)
	}
	if !hasFlags(c.flags) {
		return
	}
	fmt.Fprintf(w, "\nflags:\n")
	type line struct{ left, right string }
	var lines []line
	width := 0
	c.flags.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if arg != "" {
			left += " " + arg
		}
		if def := f.DefValue; def != "" && def != "false" && !strings.Contains(text, "(default") && !strings.Contains(text, "("+def+":") {
			text += " (default " + def + ")"
		}
		width = max(width, len(left))
		lines = append(lines, line{left, text})
	})
	for _, l := range lines {
		fmt.Fprintf(w, "  %-*s  %s\n", width, l.left, l.right)
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// noArgs is a usage error for unexpected positional arguments.
func noArgs(pos []string) error {
	if len(pos) > 0 {
		return usagef("unexpected argument %q (this command takes only flags)", pos[0])
	}
	return nil
}

// Common flags.

func threadsFlag(fs *flag.FlagSet) *int {
	return fs.Int("threads", runtime.NumCPU(), "`N` threads for the numeric kernels (default: all cores)")
}

func precisionFlag(fs *flag.FlagSet) *string {
	return fs.String("precision", "fp32", "`P` of convolutions and linear layers: fp32, or bf16 (bf16 products with float32 sums, as torch.autocast; weights, gradients and optimizer state stay float32)")
}

// setPrecision validates --precision and, for bf16, says on stderr which
// kernels will run it.
func setPrecision(name string, stderr io.Writer) (tensor.Precision, error) {
	p, err := tensor.ParsePrecision(name)
	if err != nil {
		return p, usagef("--precision: %v", err)
	}
	if p == tensor.BFloat16 {
		fmt.Fprintf(stderr, "convnet: --precision bf16 runs on the %s kernels (%s)\n", p.Kernel(), tensor.AMXStatus())
	}
	return p, nil
}

func dataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", "", "`DIR` of the data set: for mnist the idx files, plain or .gz (default: the GoMNIST module's data); for folder the pictures, DIR/<class>/* or DIR/train and DIR/val")
}

func checkpointFlag(fs *flag.FlagSet) *string {
	return fs.String("checkpoint", "", "checkpoint `FILE` to load, safetensors or PyTorch's .pth (required)")
}

func modelFlag(fs *flag.FlagSet, def, what string) *string {
	return fs.String("model", def, "model `NAME`, one of "+strings.Join(models.Names(), ", ")+what)
}

// maxThreads bounds --threads: more goroutines than this only cost
// memory (each holds its own scratch buffers).
var maxThreads = 4 * runtime.NumCPU()

// setThreads validates --threads and applies it.
func setThreads(n int) error {
	if n < 1 || n > maxThreads {
		return usagef("--threads must be between 1 and %d (4 times this machine's %d cores), got %d", maxThreads, runtime.NumCPU(), n)
	}
	tensor.SetThreads(n)
	return nil
}

// checkData validates --data: empty means the default folder.
func checkData(dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--data: %v", pathError(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("--data: %s is not a directory", dir)
	}
	return nil
}

// checkOutPath validates that path can be created: its folder exists and
// a file can be made in it (tried now, so that a run fails before its
// work rather than after).
func checkOutPath(flagName, path string) error {
	if path == "" {
		return usagef("%s: empty file name", flagName)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return usagef("%s %s: directory %s does not exist", flagName, path, dir)
	}
	if !st.IsDir() {
		return usagef("%s %s: %s is not a directory", flagName, path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return usagef("%s %s: is a directory", flagName, path)
	}
	probe, err := os.CreateTemp(dir, ".convnet-probe-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("%s %s: cannot write in %s: %v", flagName, path, dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// pathError shortens an *os.PathError to "path: problem".
func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

// lookupModel validates a model name.
func lookupModel(name string) (models.Spec, error) {
	spec, err := models.Lookup(name)
	if err != nil {
		return models.Spec{}, &usageError{"--model: " + err.Error()}
	}
	return spec, nil
}

// loaded is a model read from a checkpoint, with what was recorded of it.
type loaded struct {
	model nn.Module
	spec  models.Spec
	meta  map[string]string
	pipe  datasets.Pipeline
}

// loadCheckpoint builds the model that the checkpoint at path holds (or
// the one named by modelName, if not empty), for the data it was trained
// on, and loads its weights.
func loadCheckpoint(path, modelName string) (*loaded, error) {
	ck, err := loadModel(path, modelName)
	if err != nil {
		return nil, err
	}
	pipe, err := datasets.ForCheckpoint(ck)
	if err != nil {
		return nil, fmt.Errorf("--checkpoint %s: %v", path, err)
	}
	return &loaded{model: ck.Model, spec: ck.Spec, meta: ck.Metadata, pipe: pipe}, nil
}

// forInference readies the model for evaluation: evaluation mode, each
// batch norm after a convolution folded into it (nn.FoldBatchNorm).
func (l *loaded) forInference() error {
	example := tensor.Zeros(append([]int{1}, l.pipe.Input.Shape()...)...)
	if _, err := nn.FoldBatchNorm(l.model, example); err != nil {
		return fmt.Errorf("%s: %v", l.spec.Name, err)
	}
	return nil
}

// loadModel loads the model a checkpoint holds (see models.LoadCheckpoint),
// with errors that say which flag to give.
func loadModel(path, modelName string) (*models.Checkpoint, error) {
	if path == "" {
		return nil, usagef("missing --checkpoint FILE")
	}
	if modelName != "" {
		if _, err := lookupModel(modelName); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("--checkpoint: %s", pathError(err))
	}
	ck, err := models.LoadCheckpoint(path, modelName)
	var unknown *models.UnknownModelError
	switch {
	case errors.Is(err, models.ErrNoModelName):
		return nil, usagef("checkpoint %s names no model in its metadata: give --model (one of %s)",
			path, strings.Join(models.Names(), ", "))
	case errors.As(err, &unknown):
		return nil, usagef("checkpoint %s holds unknown model %q: give --model (one of %s)",
			path, unknown.Name, strings.Join(models.Names(), ", "))
	case err != nil && modelName != "":
		return nil, fmt.Errorf("%v (loading it as --model %s)", err, modelName)
	case err != nil:
		return nil, err // it names the file
	}
	return ck, nil
}

// loadMNIST reads an MNIST set once per process (see datasets.MNIST).
func loadMNIST(dir string, trainSet bool) (*mnist.Set, error) { return datasets.MNIST(dir, trainSet) }

// formatFloats prints values to 4 decimals as a list: [0.0052, 0.0016].
func formatFloats(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.4f", x)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// leaves returns the named modules that have no children, in registration
// order.
func leaves(m nn.Module) []nn.Child {
	var out []nn.Child
	for _, c := range m.ModuleBase().NamedModules() {
		if len(c.Module.ModuleBase().Children()) == 0 {
			out = append(out, c)
		}
	}
	return out
}
