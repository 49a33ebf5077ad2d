// tfckpt: the whole library in one include.
//
// Format layer (standard library only): bundle reading/writing/merging, the state file,
// partitioned slices, the object-graph protobuf. Object-graph and reflection layer (Boost.PFR
// and Boost.Describe): checkpoints over annotated structs, CheckpointManager, compile-time
// schemas and restore from memory. Include single headers instead to avoid Boost.
//
// With TFCKPT_SEPARATE_COMPILATION (config.hpp) this declares the checkpoint API over structs
// (checkpoint, save/write/read/restore, Keras optimizers, schemas) and defines only what each
// struct needs; the format layer is compiled once, by the unit including core_impl.hpp. The
// other headers (bundle_reader.hpp, checkpoint_manager.hpp, ...) can still be included where
// needed: they are header-only in either mode.
#pragma once

#include "format/config.hpp"
#include "format/error.hpp"
#include "format/dtype.hpp"
#include "format/half.hpp"
#include "format/options.hpp"
#include "bundle/tensor.hpp"
#include "format/naming.hpp"
#include "checkpoint.hpp"
#include "keras/optimizers.hpp"
#include "keras/keras3_layers.hpp"
#include "keras/keras3_models.hpp"
#include "keras/keras3_optimizers.hpp"
#include "reflect/attribute.hpp"
#include "reflect/schema_entry.hpp"
#include "schema.hpp"

#if TFCKPT_DEFINE_CORE
#include "format/bundle_proto.hpp"
#include "format/object_graph_proto.hpp"
#include "format/slice.hpp"
#include "format/state_file.hpp"
#include "bundle/reader.hpp"
#include "bundle/writer.hpp"
#include "bundle/merge.hpp"
#include "bundle/listing.hpp"
#include "checkpoint_manager.hpp"
#include "memory_restore.hpp"
#include "file.hpp"
#include "object_tree.hpp"
#endif
