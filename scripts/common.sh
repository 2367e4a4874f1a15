# Shared start of the measurement scripts: run from the repository root, find the labelled
# data (RAQIB_DATA, else ../shared/data), and skip with a message where it is absent.
cd "$(dirname "$0")/.."
DATA=${RAQIB_DATA:-../shared/data}
if [ ! -f "$DATA/en_train.csv" ]; then
  echo "skipped: $DATA/en_train.csv not found (the labelled data lives outside the repository)"
  exit 0
fi
