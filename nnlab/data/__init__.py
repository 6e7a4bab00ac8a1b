"""The data sets: the registry, seeded splits and scaling; the server's cache of loaded sets; a
visitor's CSV files, checked, and their uploads.

    datasets   the registry (DATASETS, dataset_info) and the Dataset every run trains on (load_dataset)
    synthetic  TensorFlow Playground's 2-D sets and the one-input curves
    features   Playground's input features of a 2-D point (x₁, x₂, x₁², x₂², x₁x₂, sin x₁, sin x₂)
    csv_files  a CSV file read and checked before any training
    cache      the server's data sets, loaded once, kept within a byte bound (DATA_CACHE)
    uploads    a visitor's uploaded files, kept by id in their workspace, bounded

Other packages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers")."""
__all__ = ['datasets', 'synthetic', 'features', 'csv_files', 'cache', 'uploads']
