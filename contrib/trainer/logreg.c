/*
 * logreg.c - a tiny trainer that logs its loss curve through libbenchtop.
 *
 * Logistic regression on a built-in two-class data set (two Gaussian blobs
 * drawn from a fixed generator), trained by mini-batch gradient descent.
 * Every step logs the mini-batch loss; every `eval` steps, the loss and
 * accuracy on the whole set.  Build it against an installed benchtop with
 *
 *     cc logreg.c $(pkg-config --cflags --libs benchtop) -lm -o logreg
 *
 * and run it alone (a new run) or under `benchtop exec` (that run).
 *
 *     logreg [--steps N] [--lr X] [--batch N] [--eval N] [--fail] [--no-finish]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <benchtop/track.h>

#define N 512 /* examples */
#define D 2   /* features */

static double X[N][D];
static int Y[N];

/* A fixed generator, so every run trains on the same data. */
static unsigned long long rng = 42;
static double uniform(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((rng >> 11) + 0.5) / 9007199254740992.0;
}

static double gaussian(void)
{
	return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
}

static void make_data(void)
{
	int i;

	for (i = 0; i < N; i++) {
		Y[i] = i % 2;
		X[i][0] = gaussian() + (Y[i] ? 1.5 : -1.5);
		X[i][1] = gaussian() + (Y[i] ? 1.0 : -1.0);
	}
}

static double sigmoid(double z)
{
	return 1 / (1 + exp(-z));
}

/* Mean log loss over examples idx[0..n), and the gradient when wanted. */
static double loss_of(const double *w, double b, const int *idx, int n, double *gw, double *gb,
                      int *correct)
{
	double loss = 0;
	int k, j;

	if (gw) {
		memset(gw, 0, D * sizeof(*gw));
		*gb = 0;
	}
	for (k = 0; k < n; k++) {
		int i = idx ? idx[k] : k;
		double z = b, p;
		for (j = 0; j < D; j++)
			z += w[j] * X[i][j];
		p = sigmoid(z);
		loss -= Y[i] ? log(p + 1e-12) : log(1 - p + 1e-12);
		if (correct)
			*correct += (p >= 0.5) == Y[i];
		if (gw) {
			for (j = 0; j < D; j++)
				gw[j] += (p - Y[i]) * X[i][j] / n;
			*gb += (p - Y[i]) / n;
		}
	}
	return loss / n;
}

int main(int argc, char **argv)
{
	long steps = 300, batch = 16, eval = 50, s;
	double lr = 0.1, w[D] = {0, 0}, b = 0, gw[D], gb;
	int fail = 0, finish = 1, i, j, idx[1024];
	benchtop_track *t;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc)
			steps = atol(argv[++i]);
		else if (strcmp(argv[i], "--lr") == 0 && i + 1 < argc)
			lr = atof(argv[++i]);
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			batch = atol(argv[++i]);
		else if (strcmp(argv[i], "--eval") == 0 && i + 1 < argc)
			eval = atol(argv[++i]);
		else if (strcmp(argv[i], "--fail") == 0)
			fail = 1;
		else if (strcmp(argv[i], "--no-finish") == 0)
			finish = 0;
		else {
			fprintf(stderr, "usage: logreg [--steps N] [--lr X] [--batch N] [--eval N] "
			                "[--fail] "
			                "[--no-finish]\n");
			return 2;
		}
	}
	if (batch < 1 || batch > 1024 || steps < 0 || eval < 1) {
		fprintf(stderr, "logreg: bad --batch, --steps or --eval\n");
		return 2;
	}
	make_data();
	t = benchtop_track_open("logreg");
	if (!t) /* training goes on untracked */
		fprintf(stderr, "logreg: not tracking: %s\n", benchtop_track_error());
	benchtop_track_param_double(t, "lr", lr);
	benchtop_track_param_double(t, "batch", (double)batch);
	benchtop_track_param_double(t, "steps", (double)steps);
	benchtop_track_tag(t, "logreg");

	for (s = 0; s < steps; s++) {
		double loss;
		for (j = 0; j < batch; j++)
			idx[j] = (int)(uniform() * N) % N;
		loss = loss_of(w, b, idx, (int)batch, gw, &gb, NULL);
		for (j = 0; j < D; j++)
			w[j] -= lr * gw[j];
		b -= lr * gb;
		benchtop_track_log(t, "train/loss", s, loss);
		if ((s + 1) % eval == 0 || s + 1 == steps) {
			int correct = 0;
			double full = loss_of(w, b, NULL, N, NULL, NULL, &correct);
			benchtop_track_log(t, "eval/loss", s, full);
			benchtop_track_log(t, "eval/accuracy", s, (double)correct / N);
			printf("step %ld: loss %.4f accuracy %.4f\n", s + 1, full,
			       (double)correct / N);
		}
	}
	if (benchtop_track_dropped(t))
		fprintf(stderr, "logreg: %llu points were dropped\n",
		        (unsigned long long)benchtop_track_dropped(t));
	if (!finish)
		return 0; /* the library flushes at exit */
	if (t && benchtop_track_finish(t, fail ? BENCHTOP_TRACK_FAILED : BENCHTOP_TRACK_FINISHED)) {
		fprintf(stderr, "logreg: %s\n", benchtop_track_error());
		return 1;
	}
	return fail ? 1 : 0;
}
