// Package pth reads and writes PyTorch's torch.save files (.pth, .pt) that
// hold a state_dict, as the named tensors of package safetensors.
//
// # The format
//
// Since PyTorch 1.6, torch.save writes a zip archive of stored entries
// under one folder: <name>/data.pkl, a pickle of the saved object in which
// each tensor's storage is a persistent id ('storage', storage class, key,
// device, element count); <name>/data/<key>, each storage's elements;
// <name>/version; and, in files from newer versions, <name>/byteorder
// ("little" or "big"; absent means little).
//
// # Reading
//
// [ReadFile] and [Decode] accept a dict or OrderedDict of names to tensors
// (a state_dict), or a dict holding one under "state_dict" or else "model"
// (a training checkpoint, as torchvision's reference scripts and PyTorch
// Lightning save). They return the state_dict's tensors in its order, each
// copied into row-major order: storage offsets, any strides (transposed
// views, expanded views with stride 0), storages shared by several tensors,
// zero-size tensors and 0-d scalars are handled. The dtypes are F32, F64,
// F16, BF16, I64, I32, I16, I8, U8 and BOOL. The returned File's Metadata is
// nil.
//
// data.pkl is read by a small stack machine of pth's own, not by anything
// that runs code: it builds plain values (ints, floats, strings, tuples,
// lists, dicts) and calls nothing. The only Python globals whose values it
// uses are on an allow-list: collections.OrderedDict,
// torch._utils._rebuild_tensor_v2, torch._utils._rebuild_tensor,
// torch._utils._rebuild_parameter (and _rebuild_parameter_with_state), and
// the storage classes torch.FloatStorage, DoubleStorage, HalfStorage,
// BFloat16Storage, LongStorage, IntStorage, ShortStorage, CharStorage,
// ByteStorage and BoolStorage. Where the saved object, a checkpoint's
// state_dict or one of its entries is made by any other global (os.system,
// builtins.eval, a whole nn.Module's class, numpy), the file is refused with
// a [*GlobalError] naming the global. The other entries of a checkpoint
// ("epoch", "optimizer", "args", ...) are parsed but not used: a global
// there (argparse.Namespace for the args, say) is named in the pickle and
// skipped, never imported or called, and their storages are never read.
//
// Nested values inside the state_dict, a key that is not a string and a
// tensor that reaches outside its storage are errors naming the key. Every
// size is checked before anything is allocated: the pickle's element count
// against the zip entry's size, the zip entry's size against the file's,
// and the tensors returned may not exceed 8 times the file's size plus 16
// MiB (shared and stride-0 storages aside, they are at most its size). The
// unpickler caps its stack, memo and nesting, and never recurses on the
// pickle's structure; malformed input gives an error, never a panic.
//
// The legacy format of PyTorch before 1.6 (and of
// _use_new_zipfile_serialization=False) is refused with [ErrLegacyFormat];
// TorchScript archives (torch.jit.save) are refused too. Errors have the
// form "pth: <path>: <problem>" from ReadFile and "pth: <problem>" from
// Decode.
//
// # Writing
//
// [WriteFile] and [Encode] write a state_dict as torch.save does, so that
// torch.load (PyTorch 1.6 and later, with no other package, and with
// weights_only=True) reads it as an OrderedDict of tensors in the File's
// order. WriteFile replaces its file atomically.
package pth
