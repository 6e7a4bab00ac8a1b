"""build_model(config, dataset) → a Keras model whose shape is `architecture.layer_specs`."""
from __future__ import annotations

from nnlab.training.architecture import LayerSpec, layer_specs
from nnlab.core.tf_runtime import keras, tf


@keras.saving.register_keras_serializable(package="nnlab", name="gaussian")
def gaussian(x):
    """exp(−x²): the lecture's Gaussian activation (not built into Keras)."""
    return tf.exp(-tf.square(x))


def _activation(name: str):
    return gaussian if name == "gaussian" else name


def _keras_layer(spec: LayerSpec, config, seed: int):
    if spec.kind == "dense":
        return keras.layers.Dense(
            spec.units, activation=_activation(spec.activation),  # L1 / L2: training_step.penalty, changeable
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed), name=spec.name,
        )
    if spec.kind == "batch_norm":
        return keras.layers.BatchNormalization(name=spec.name)
    if spec.kind == "activation":
        return keras.layers.Activation(_activation(spec.activation), name=spec.name)
    if spec.kind == "dropout":
        return keras.layers.Dropout(spec.rate, seed=seed, name=spec.name)
    raise ValueError(f"unknown layer kind {spec.kind!r}")


def model_specs(config, dataset) -> list[LayerSpec]:
    return layer_specs(config, dataset.n_features, dataset.n_outputs, dataset.task)


def build_model(config, dataset) -> keras.Model:
    """A built Sequential model (so count_params works) with seeded initial weights."""
    return build_for_shape(config, dataset.n_features, dataset.n_outputs, dataset.task)


def build_for_shape(config, n_inputs: int, n_outputs: int, task: str = "classification") -> keras.Model:
    specs = layer_specs(config, n_inputs, n_outputs, task)
    layers = [keras.Input(shape=(n_inputs,), name="inputs")]
    layers += [_keras_layer(spec, config, seed=config.seed + i) for i, spec in enumerate(specs)]
    return keras.Sequential(layers, name="nnlab")
