// Command controller stands in for cert-manager's controller binary on the test node
// (test/cluster/addons/cert-manager.yaml): upstream's main package lives in a nested module
// (cmd/controller/go.mod) that the Go module proxy cannot serve, and it configures itself
// through internal packages. This starts the same controllers from the library module's pkg/
// packages, with upstream's default settings, for the ACME issuer only (no Vault, Venafi, CA or
// self-signed issuers, no CertificateSigningRequest controllers, no leader election: one replica).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cert-manager/cert-manager/pkg/controller"
	"github.com/cert-manager/cert-manager/pkg/healthz"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/util"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"

	acmechallenges "github.com/cert-manager/cert-manager/pkg/controller/acmechallenges"
	acmeorders "github.com/cert-manager/cert-manager/pkg/controller/acmeorders"
	shimgateways "github.com/cert-manager/cert-manager/pkg/controller/certificate-shim/gateways"
	cracme "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/acme"
	crapprover "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	certmetrics "github.com/cert-manager/cert-manager/pkg/controller/certificates/metrics"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	clusterissuers "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	issuers "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/acme" // the ACME issuer type
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig file (default: in-cluster configuration)")
	clusterResourceNamespace := flag.String("cluster-resource-namespace", os.Getenv("POD_NAMESPACE"), "namespace of the Secrets that ClusterIssuers refer to (ACME account keys)")
	solverImage := flag.String("acme-http01-solver-image", "", "image of the ACME HTTP-01 solver pods (required)")
	gatewayAPI := flag.Bool("enable-gateway-api", false, "run the Gateway certificate-shim and allow the gatewayHTTPRoute HTTP-01 solver (needs the Gateway API CRDs)")
	metricsAddress := flag.String("metrics-listen-address", "0.0.0.0:9402", "address of the Prometheus metrics endpoint")
	healthzAddress := flag.String("healthz-listen-address", "0.0.0.0:9403", "address of the /livez endpoint")
	klog.InitFlags(nil) // --v
	flag.Parse()

	logf.InitLogs()
	defer logf.FlushLogs()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx = logf.NewContext(ctx, logf.Log, "controller")
	if err := run(ctx, *kubeconfig, *clusterResourceNamespace, *solverImage, *gatewayAPI, *metricsAddress, *healthzAddress); err != nil {
		logf.Log.Error(err, "cert-manager controller failed")
		logf.FlushLogs()
		os.Exit(1)
	}
}

func run(rootCtx context.Context, kubeconfig, clusterResourceNamespace, solverImage string, gatewayAPI bool, metricsAddress, healthzAddress string) error {
	if solverImage == "" {
		return errors.New("--acme-http01-solver-image is required")
	}
	if clusterResourceNamespace == "" {
		return errors.New("--cluster-resource-namespace is required (or POD_NAMESPACE)")
	}
	log := logf.FromContext(rootCtx)
	log.Info("starting cert-manager controllers", "version", util.VersionInfo().GitVersion)

	// Upstream's defaults (internal/apis/config/controller/v1alpha1/defaults.go).
	ctxFactory, err := controller.NewContextFactory(rootCtx, controller.ContextOptions{
		Kubeconfig:         kubeconfig,
		KubernetesAPIQPS:   20,
		KubernetesAPIBurst: 50,
		IssuerOptions: controller.IssuerOptions{
			ClusterResourceNamespace:        clusterResourceNamespace,
			ClusterIssuerAmbientCredentials: true,
		},
		ACMEOptions: controller.ACMEOptions{
			HTTP01SolverImage:                 solverImage,
			HTTP01SolverResourceRequestCPU:    resource.MustParse("10m"),
			HTTP01SolverResourceRequestMemory: resource.MustParse("64Mi"),
			HTTP01SolverResourceLimitsCPU:     resource.MustParse("100m"),
			HTTP01SolverResourceLimitsMemory:  resource.MustParse("64Mi"),
			ACMEHTTP01SolverRunAsNonRoot:      true,
			DNS01CheckAuthoritative:           true,
			DNS01CheckRetryPeriod:             10 * time.Second,
		},
		IngressShimOptions: controller.IngressShimOptions{
			DefaultIssuerKind:                 "Issuer",
			DefaultIssuerGroup:                "cert-manager.io",
			DefaultAutoCertificateAnnotations: []string{"kubernetes.io/tls-acme"},
			GatewayAPIExtraProtocols:          sets.New[string](),
		},
		CertificateOptions: controller.CertificateOptions{
			CopiedAnnotationPrefixes:                 []string{"*", "-kubectl.kubernetes.io/", "-fluxcd.io/", "-argocd.argoproj.io/"},
			CertificateRequestMinimumBackoffDuration: time.Hour,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
		SchedulerOptions: controller.SchedulerOptions{MaxConcurrentChallenges: 60},
		ConfigOptions:    controller.ConfigOptions{EnableGatewayAPI: gatewayAPI},
	})
	if err != nil {
		return err
	}
	ctx, err := ctxFactory.Build()
	if err != nil {
		return err
	}

	enabled := []string{
		issuers.ControllerName, clusterissuers.ControllerName, certmetrics.ControllerName,
		acmeorders.ControllerName, acmechallenges.ControllerName, cracme.CRControllerName, crapprover.ControllerName,
		trigger.ControllerName, issuing.ControllerName, keymanager.ControllerName, requestmanager.ControllerName,
		readiness.ControllerName, revisionmanager.ControllerName,
	}
	if gatewayAPI {
		enabled = append(enabled, shimgateways.ControllerName)
	}

	g, gctx := errgroup.WithContext(rootCtx)
	metricsLn, err := net.Listen("tcp", metricsAddress)
	if err != nil {
		return fmt.Errorf("metrics listener %s: %w", metricsAddress, err)
	}
	ctx.Metrics.SetupACMECollector(ctx.SharedInformerFactory.Acme().V1().Challenges().Lister())
	ctx.Metrics.SetupCertificateCollector(ctx.SharedInformerFactory.Certmanager().V1().Certificates().Lister())
	ctx.Metrics.SetupIssuerCollector(ctx.SharedInformerFactory.Certmanager().V1().Issuers().Lister())
	ctx.Metrics.SetupClusterIssuerCollector(ctx.SharedInformerFactory.Certmanager().V1().ClusterIssuers().Lister())
	metricsServer := ctx.Metrics.NewServer(metricsLn)
	g.Go(func() error {
		if err := metricsServer.Serve(metricsLn); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	healthzLn, err := net.Listen("tcp", healthzAddress)
	if err != nil {
		return fmt.Errorf("healthz listener %s: %w", healthzAddress, err)
	}
	g.Go(func() error { return healthz.NewServer(20*time.Second).Start(gctx, healthzLn) })
	g.Go(func() error {
		<-gctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return metricsServer.Shutdown(shutdown)
	})

	known := controller.Known()
	for _, name := range enabled {
		constructor, ok := known[name]
		if !ok {
			return fmt.Errorf("controller %q is not registered (cert-manager renamed or moved it?)", name)
		}
		iface, err := constructor(ctxFactory)
		if err != nil {
			return fmt.Errorf("controller %s: %w", name, err)
		}
		g.Go(func() error { return iface.Run(5, gctx) })
	}
	log.Info("controllers started", "controllers", enabled)

	ctx.SharedInformerFactory.Start(gctx.Done())
	ctx.KubeSharedInformerFactory.Start(gctx.Done())
	ctx.HTTP01ResourceMetadataInformersFactory.Start(gctx.Done())
	if gatewayAPI {
		ctx.GWShared.Start(gctx.Done())
	}
	return g.Wait()
}
