#ifdef __cplusplus
extern "C" {
#endif
void vigil_anpr_cv_set_threads(int n);
#ifdef __cplusplus
}
#endif
