"""Training one network: the compiled loop (Trainer), the Keras model and its layers, Stop,
the compute budget of a run, the learning-rate finder and the views of the network's inside.

    train         Trainer (one epoch at a time, step mode, learning-rate changes) and train()
    architecture  layers and parameter counts, without TensorFlow
    model         the Keras model built from them
    stop_signal   StopSignal: reaches into the compiled loop
    budget        the compute budget of one run, every pass counted
    lr_finder     the learning-rate range test
    inside        snapshots of the network between epochs (first-layer weights, neuron maps, links' weights)
    weight_edit   weights of a trained network set by hand, on a copy of it
    run_result    RunResult: a run's end, its figures and model (without TensorFlow)
    end_views     a run's predictions and inside views at its end, as bytes kept with it (a worker's run)
    (own: dataset_tensors; the Trainer's hooks: hooks, training_step, step_gate, early_stopping,
     learning_rates, layer_stats)

Other packages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers")."""
__all__ = ['train', 'architecture', 'model', 'stop_signal', 'budget', 'lr_finder', 'inside', 'weight_edit',
           'run_result', 'end_views']
