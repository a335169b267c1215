/*
 * cxx.cc - a plugin written in C++, proving that benchtop/plugin.h works
 * from C++ (extern "C", no C-only constructs): a nearest-centroid
 * classifier.  Exceptions never cross into the host: every callback
 * catches them and reports through last_error.
 */
#include <cmath>
#include <cstddef>
#include <exception>
#include <string>
#include <vector>

#include "benchtop/plugin.h"

namespace
{

struct Centroids {
	const benchtop_task_info *task;
	std::vector<std::vector<double>> mean; // one per label
	std::vector<size_t> count;
	std::string error;
};

int create(void **instance, const benchtop_host *host, const benchtop_task_info *task)
{
	(void)host;
	*instance = nullptr;
	try {
		Centroids *m = new Centroids;
		m->task = task;
		m->mean.assign(task->n_labels, std::vector<double>(task->n_features, 0.0));
		m->count.assign(task->n_labels, 0);
		*instance = m;
		return 0;
	} catch (const std::exception &) {
		return -1;
	}
}

int fit(void *instance, const benchtop_example *ex, size_t n)
{
	Centroids *m = static_cast<Centroids *>(instance);
	try {
		for (size_t i = 0; i < n; i++) {
			int64_t l = ex[i].target ? ex[i].target->label_index : -1;
			if (l < 0 || static_cast<size_t>(l) >= m->mean.size())
				throw std::string("a train label outside the task's labels");
			for (size_t j = 0; j < ex[i].n_features && j < m->mean[l].size(); j++)
				m->mean[l][j] += ex[i].features[j];
			m->count[l]++;
		}
		for (size_t l = 0; l < m->mean.size(); l++)
			for (double &v : m->mean[l])
				v = m->count[l] ? v / static_cast<double>(m->count[l]) : 0.0;
		return 0;
	} catch (const std::string &e) {
		m->error = e;
	} catch (const std::exception &e) {
		m->error = e.what();
	}
	return -1;
}

int predict(void *instance, const benchtop_example *ex, size_t n, benchtop_prediction *out)
{
	const Centroids *m = static_cast<const Centroids *>(instance);
	for (size_t i = 0; i < n; i++) {
		size_t best = 0;
		double best_d = INFINITY;
		for (size_t l = 0; l < m->mean.size(); l++) {
			double d = 0;
			if (!m->count[l])
				continue;
			for (size_t j = 0; j < ex[i].n_features && j < m->mean[l].size(); j++)
				d += (ex[i].features[j] - m->mean[l][j]) *
				     (ex[i].features[j] - m->mean[l][j]);
			if (d < best_d) {
				best_d = d;
				best = l;
			}
		}
		out[i].label = m->task->labels[best];
	}
	return 0;
}

void destroy(void *instance)
{
	delete static_cast<Centroids *>(instance);
}

const char *last_error(void *instance)
{
	const Centroids *m = static_cast<const Centroids *>(instance);
	return m && !m->error.empty() ? m->error.c_str() : nullptr;
}

benchtop_plugin make_descriptor()
{
	benchtop_plugin d = {};
	d.abi_major = BENCHTOP_PLUGIN_ABI_MAJOR;
	d.abi_minor = BENCHTOP_PLUGIN_ABI_MINOR;
	d.size = sizeof(benchtop_plugin);
	d.name = "cxx";
	d.version = "0.1";
	d.description = "Test plugin in C++: nearest centroid";
	d.flags = BENCHTOP_PLUGIN_THREAD_SAFE | BENCHTOP_PLUGIN_NEEDS_TRAIN;
	d.tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION);
	d.create = create;
	d.fit = fit;
	d.predict = predict;
	d.destroy = destroy;
	d.last_error = last_error;
	return d;
}

const benchtop_plugin descriptor = make_descriptor();

} // namespace

const benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
